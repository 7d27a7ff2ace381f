import { peersNow } from '../overlay/super-peers-now.js';
import { hasChanges } from '../plan/plan.js';
import { GATE_STABLE_MS } from '../topology/gate-stable-window.js';
import { checkNamedVoters } from './check-named-voters.js';
import { downOutsideRun } from './down-outside-run.js';
import { overlayBeforeRolling } from './overlay-before-rolling.js';
import type { Phase } from './phase.js';
import type { RollingStart } from './rolling-start.js';
import { rolloutSizes } from './rollout-sizes.js';
import type { RunContext } from './run-context.js';

/**
 * Asks the running agents what a rolling apply starts from, and refuses it, nothing changed,
 * where the overlay has not converged (overlay-before-rolling.ts) or where the voters they name,
 * with the nodes down (those outside a `--limit` run that they hear down too), leave a sub-grid no
 * restart (check-named-voters.ts). Stores what they said in `ctx.rollingStart` for the batches.
 */
export async function askAgentsForRollingStart(ctx: RunContext): Promise<RollingStart> {
  const { answers } = await overlayBeforeRolling(ctx);
  const askedAt = Date.now();
  const peers = peersNow(answers);
  const state = await ctx.recordedState();
  const sizes = rolloutSizes(ctx, state);
  // Nodes down outside the run count against their sub-grid's budget, as the unreachable ones of the run do.
  const outside = downOutsideRun(ctx, peers, state);
  checkNamedVoters(ctx, peers, sizes, outside);
  const down = new Map(sizes.down);
  for (const [subgrid, nodes] of outside) down.set(subgrid, (down.get(subgrid) ?? 0) + nodes.length);
  ctx.rollingStart = { peers, sizes: { ...sizes, down }, askedAt };
  return ctx.rollingStart;
}

/**
 * The rolling apply's start as the first batch needs it: what the phase before the question saw,
 * or, where that is older than a gate's stable window (someone took time to answer), the agents
 * asked again. A converged overlay answers at the first ask, so that costs one round trip; a
 * refusal then means the overlay changed while the question waited. A caller that runs the batch
 * loop without the phase (a library user's own phase list) gets the agents asked here.
 */
export async function rollingStartNow(ctx: RunContext): Promise<RollingStart> {
  const seen = ctx.rollingStart;
  if (seen && Date.now() - seen.askedAt <= GATE_STABLE_MS) return seen;
  return askAgentsForRollingStart(ctx);
}

/**
 * `apply --rolling`: every refusal that needs the agents comes before the question, as Terraform
 * and k0sctl users expect, not after a yes (an overlay not converged used to be found only once
 * the batch loop started, up to rollout.healthTimeout after the answer). A saved plan
 * (`apply --plan`) asks no question, so for it, as for `--yes`, only the order changes.
 */
export const askAgentsBeforeRolling: Phase = {
  title: 'ask the agents before a rolling apply',
  // Not where a host could not be planned: the question's phase refuses that run, naming the host, and the agents need not be asked first.
  shouldRun: (ctx) => ctx.options.rolling === true && hasChanges(ctx.plan) && !ctx.plan.hosts.some((h) => h.error?.kind === 'planning'),
  async run(ctx) {
    await askAgentsForRollingStart(ctx);
  },
};
