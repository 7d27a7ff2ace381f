import type { HostOutcome } from '../engine/applier.js';
import type { HostPlan } from '../plan/plan.js';
import type { HostState } from '../state/state.js';

/**
 * The handlers the state keeps owed on a host after this run (HostState.pendingHandlers): those
 * the host's failed batch left owed (HostOutcome.pendingHandlers), and those owed before that this
 * run did not take on, since none of its playbooks defines them (a `--playbook` run of others).
 * A host whose batch never started (skipped) owes what it owed. Whatever a run took on and did not
 * leave owed has run: an applied host owes nothing of it. `defined`, given in a run of the grid's
 * whole workflow, names every handler the host's playbooks define: an owed one outside it can never
 * run again (its playbook dropped it), so it is forgotten rather than owed forever, which would
 * also keep the host from ever being read without a shell (state/expected-in-sync.ts).
 */
export function pendingHandlersAfter(outcome: HostOutcome, plan: Pick<HostPlan, 'handlers'>, previous: HostState | undefined, defined?: readonly string[]): Pick<HostState, 'pendingHandlers'> {
  const before = previous?.pendingHandlers ?? [];
  const owed = outcome.status === 'skipped' ? before : [...(outcome.pendingHandlers ?? []), ...before.filter((name) => !plan.handlers.includes(name))];
  const names = [...new Set(owed)].filter((name) => !defined || defined.includes(name));
  return names.length ? { pendingHandlers: names } : {};
}

/** The handlers the host owes that none of `defined` (its workflow's handlers) is: what a run of the whole workflow forgets, and warns of. */
export function owedHandlersNoPlaybookDefines(previous: HostState | undefined, defined: readonly string[]): string[] {
  return [...new Set(previous?.pendingHandlers ?? [])].filter((name) => !defined.includes(name));
}
