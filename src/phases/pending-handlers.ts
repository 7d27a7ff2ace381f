import type { HostOutcome } from '../engine/applier.js';
import type { HostPlan } from '../plan/plan.js';
import type { HostState } from '../state/state.js';

/**
 * The handlers the state keeps owed on a host after this run (HostState.pendingHandlers): those
 * the host's failed batch left owed (HostOutcome.pendingHandlers), and those owed before that this
 * run did not take on, since none of its playbooks defines them (a `--playbook` run of others).
 * A host whose batch never started (skipped) owes what it owed. Whatever a run took on and did not
 * leave owed has run: an applied host owes nothing of it.
 */
export function pendingHandlersAfter(outcome: HostOutcome, plan: Pick<HostPlan, 'handlers'>, previous: HostState | undefined): Pick<HostState, 'pendingHandlers'> {
  const before = previous?.pendingHandlers ?? [];
  const owed = outcome.status === 'skipped' ? before : [...(outcome.pendingHandlers ?? []), ...before.filter((name) => !plan.handlers.includes(name))];
  const names = [...new Set(owed)];
  return names.length ? { pendingHandlers: names } : {};
}
