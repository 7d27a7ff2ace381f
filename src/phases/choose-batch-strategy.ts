import { allAtOnce, onlySite, plannedSuperPeersFirst, removalsLast, rolling, type BatchStrategy } from '../overlay/batch-strategy.js';
import { onlyTheSite } from './agents-restart-in-batches.js';
import { rollingStartNow } from './ask-agents-before-rolling.js';
import type { RunContext } from './run-context.js';

/**
 * The strategy of apply's one batch loop: `--rolling` (health-gated batches, the current super
 * peers last, as the agents named them before the question (ask-agents-before-rolling.ts, which
 * refused an overlay not converged or voters with none free to restart) and again after each gate,
 * the nodes already down counting against their sub-grid's budget, and the planned first super
 * peers of fresh sub-grids lead the first wave); else
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
    const { peers, sizes } = await rollingStartNow(ctx);
    return rolling(ctx.grid.rollout, sizes, peers, ctx.renamed, ctx.plan.election);
  }
  return ctx.plan.election ? plannedSuperPeersFirst(ctx.plan.election) : allAtOnce;
}
