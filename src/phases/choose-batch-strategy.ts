import { allAtOnce, onlySite, plannedSuperPeersFirst, removalsLast, rolling, type BatchStrategy } from '../overlay/batch-strategy.js';
import { askOverlay } from '../overlay/poll.js';
import { peersNow } from '../overlay/super-peers-now.js';
import { allNodes } from '../topology/model.js';
import { agentSessions } from './agent-sessions.js';
import { onlyTheSite } from './agents-restart-in-batches.js';
import type { RunContext } from './run-context.js';

/**
 * The strategy of apply's one batch loop: `--rolling` (health-gated batches, the current super
 * peers last, asked from the agents now and again after each gate); else the planned super peers first when the plan
 * elects fresh sub-grids; else every host at once. Nodes being decommissioned go last, once the
 * rest is in place (their agents hand their roles over as they stop).
 */
export async function chooseBatchStrategy(ctx: RunContext): Promise<BatchStrategy> {
  const strategy = await baseStrategy(ctx);
  if (onlyTheSite(ctx)) return onlySite(strategy, ctx.site!);
  return ctx.removing.size ? removalsLast(strategy, ctx.removing) : strategy;
}

async function baseStrategy(ctx: RunContext): Promise<BatchStrategy> {
  if (ctx.options.rolling) {
    const { answers } = await askOverlay(agentSessions(ctx), ctx.options.concurrency);
    const nodes = allNodes(ctx.grid);
    const subgrids = new Map<string, number>();
    for (const n of nodes) subgrids.set(`${n.region}/${n.subgrid}`, (subgrids.get(`${n.region}/${n.subgrid}`) ?? 0) + 1);
    return rolling(ctx.grid.rollout, { grid: nodes.length, subgrids }, peersNow(answers));
  }
  return ctx.plan.election ? plannedSuperPeersFirst(ctx.plan.election) : allAtOnce;
}
