import type { RolloutSizes } from '../overlay/rolling-batches.js';
import { allNodes, type Node } from '../topology/model.js';
import type { RunContext } from './run-context.js';

/** The `region/sub-grid` key a rolling apply counts a node under. */
export const subgridKey = (node: { region: string; subgrid: string }): string => `${node.region}/${node.subgrid}`;

/**
 * What a rolling apply's budgets count: the topology's nodes, overall and per sub-grid (not just
 * the changed or `--limit`ed ones), and per sub-grid the nodes of this run that are down before it
 * starts: unreachable. (An agent that is reached but not joined stops the run before its first
 * batch anyway: the overlay must have converged.) A node being decommissioned is not counted.
 */
export function rolloutSizes(ctx: Pick<RunContext, 'grid' | 'unreachable'>): Required<RolloutSizes> {
  const count = (list: readonly { region: string; subgrid: string }[]) => {
    const counts = new Map<string, number>();
    for (const n of list) counts.set(subgridKey(n), (counts.get(subgridKey(n)) ?? 0) + 1);
    return counts;
  };
  const nodes = allNodes(ctx.grid);
  return { grid: nodes.length, subgrids: count(nodes), down: count(nodesDown(ctx)) };
}

/** The topology's nodes of this run that could not be reached (not a dropped node being decommissioned). */
export function nodesDown(ctx: Pick<RunContext, 'grid' | 'unreachable'>): Node[] {
  const inTopology = new Set(allNodes(ctx.grid).map((n) => n.name));
  return ctx.unreachable.map((u) => u.node).filter((n) => inTopology.has(n.name));
}
