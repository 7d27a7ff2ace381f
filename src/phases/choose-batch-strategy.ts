import { allAtOnce, onlySite, plannedSuperPeersFirst, removalsLast, rolling, type BatchStrategy } from '../overlay/batch-strategy.js';
import { peersNow } from '../overlay/super-peers-now.js';
import { onlyTheSite } from './agents-restart-in-batches.js';
import { checkNamedVoters } from './check-named-voters.js';
import { downOutsideRun } from './down-outside-run.js';
import { overlayBeforeRolling } from './overlay-before-rolling.js';
import { rolloutSizes } from './rollout-sizes.js';
import type { RunContext } from './run-context.js';

/**
 * The strategy of apply's one batch loop: `--rolling` (health-gated batches, the current super
 * peers last, asked from the agents now and again after each gate; refused unless the overlay
 * has converged first, or where the voters the agents name leave no voter free to restart, and the
 * nodes already down count against their sub-grid's budget, and the planned first super peers of
 * fresh sub-grids lead the first wave); else
 * the planned super peers first when the plan elects fresh sub-grids; else every host at once.
 * Nodes being decommissioned go last, once the rest is in place (their agents hand their roles
 * over as they stop).
 */
export async function chooseBatchStrategy(ctx: RunContext): Promise<BatchStrategy> {
  const strategy = await baseStrategy(ctx);
  if (onlyTheSite(ctx)) return onlySite(strategy, ctx.site!);
  return ctx.removing.size ? removalsLast(strategy, ctx.removing) : strategy;
}

async function baseStrategy(ctx: RunContext): Promise<BatchStrategy> {
  if (ctx.options.rolling) {
    const { answers } = await overlayBeforeRolling(ctx);
    const peers = peersNow(answers);
    const state = await ctx.recordedState();
    const sizes = rolloutSizes(ctx, state);
    // Nodes down outside the run count against their sub-grid's budget, as the unreachable ones of the run do.
    const outside = downOutsideRun(ctx, peers, state);
    checkNamedVoters(ctx, peers, sizes, outside);
    const down = new Map(sizes.down);
    for (const [subgrid, nodes] of outside) down.set(subgrid, (down.get(subgrid) ?? 0) + nodes.length);
    return rolling(ctx.grid.rollout, { ...sizes, down }, peers, ctx.renamed, ctx.plan.election);
  }
  return ctx.plan.election ? plannedSuperPeersFirst(ctx.plan.election) : allAtOnce;
}
