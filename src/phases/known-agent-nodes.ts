import { topologyNodesBySubgrid } from '../overlay/topology-nodes.js';
import type { TopologyNodes } from '../overlay/convergence.js';
import { allNodes } from '../topology/model.js';
import type { RunContext } from './run-context.js';

/**
 * The nodes a run's overlay checks take a super peer (region peer) from: the topology's, the
 * nodes it decommissions (they run until their batch, after the rolling gates), and the old names
 * of renamed nodes (an old name's agent runs until its host's batch, or for good outside `--limit`),
 * in the sub-grid of the node that replaces it. Any other leader is a host the topology dropped
 * whose agent came back (overlayAgreement).
 */
export function knownAgentNodes(ctx: Pick<RunContext, 'grid' | 'planned' | 'removing' | 'renamed'>): TopologyNodes {
  const nodes = allNodes(ctx.grid).map((n) => ({ name: n.name, region: n.region, subgrid: n.subgrid }));
  const removing = ctx.planned.filter((p) => ctx.removing.has(p.session.node.name)).map((p) => p.session.node);
  const renamed = [...ctx.renamed].flatMap(([old, now]) => nodes.filter((n) => n.name === now).map((n) => ({ ...n, name: old })));
  return topologyNodesBySubgrid([...nodes, ...removing.map((n) => ({ name: n.name, region: n.region, subgrid: n.subgrid })), ...renamed]);
}
