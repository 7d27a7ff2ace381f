import type { TopologyNodes } from './convergence.js';

/**
 * The nodes a leader may be, per `region/sub-grid` (overlayAgreement's `topology`): the
 * topology's, and those a run or the state still knows there (a node to decommission, a renamed
 * node's old name), whose agent runs on until the run removes it.
 */
export function topologyNodesBySubgrid(nodes: Iterable<{ name: string; region: string; subgrid: string }>): TopologyNodes {
  const bySubgrid: Record<string, string[]> = {};
  for (const n of nodes) (bySubgrid[`${n.region}/${n.subgrid}`] ??= []).push(n.name);
  return bySubgrid;
}
