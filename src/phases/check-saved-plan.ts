import { StalePlanError } from '../errors/index.js';
import { hostHasWork, planFingerprint, type Plan } from '../plan/plan.js';
import type { Phase } from './phase.js';

/**
 * `apply --plan`: the saved plan is applied only while the topology and every host still plan
 * exactly the same changes and handlers, with the same commands (README: the contract of a saved plan).
 */
export const checkSavedPlan: Phase = {
  title: 'check the saved plan against the hosts',
  shouldRun: (ctx) => ctx.options.savedPlan !== undefined,
  async run(ctx) {
    assertPlanStillValid(ctx.options.savedPlan!, ctx.plan);
  },
};

/** A saved plan may only be applied while the topology and every host still plan the same changes and handlers (planFingerprint). */
export function assertPlanStillValid(saved: Plan, fresh: Plan): void {
  if (saved.topology.sourceHash !== fresh.topology.sourceHash) {
    throw new StalePlanError('the topology changed since the plan was saved', 'make a new plan with `gridops plan --out`');
  }
  const freshByHost = new Map(fresh.hosts.map((h) => [h.host, h]));
  const drifted = saved.hosts.filter((h) => {
    const now = freshByHost.get(h.host);
    return !now || planFingerprint(now) !== planFingerprint(h);
  });
  const added = fresh.hosts.filter((h) => !saved.hosts.some((s) => s.host === h.host) && hostHasWork(h));
  if (drifted.length || added.length) {
    throw new StalePlanError(`hosts changed since the plan was saved: ${[...drifted, ...added].map((h) => h.host).join(', ')}; nothing was changed`, 'make a new plan with `gridops plan --out` and review it');
  }
}
