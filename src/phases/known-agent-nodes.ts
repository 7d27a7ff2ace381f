import { topologyNodesBySubgrid } from '../overlay/topology-nodes.js';
import type { TopologyNodes } from '../overlay/convergence.js';
import { allNodes } from '../topology/model.js';
import type { GridState } from '../state/state.js';
import { recordedNodes, type LocatedNode } from '../state/recorded-nodes.js';
import type { RunContext } from './run-context.js';

/**
 * The nodes a run's overlay checks take a super peer (region peer) from: the topology's, and every
 * other node the run knows, reached or not: those it decommissions (they run until their batch,
 * after the rolling gates; one down is named by its members until they notice), and the old
 * names of renamed nodes (an old name's agent runs until its host's batch, or for good outside
 * `--limit`), in the sub-grid of the node that replaces it; and every node the state still records
 * (`recorded`), as status counts them: a node the topology dropped that this run does not
 * decommission (a `--limit` or `--site` run leaves it to a full apply; a rename it could not tell)
 * runs its agent, and may lead, until a full apply removes it. Any other leader is a host the
 * topology dropped whose agent came back (overlayAgreement).
 */
export function knownAgentNodes(ctx: Pick<RunContext, 'grid' | 'planned' | 'unreachable' | 'renamed'>, recorded: Pick<GridState, 'hosts'>): TopologyNodes {
  const located = (n: LocatedNode): LocatedNode => ({ name: n.name, region: n.region, subgrid: n.subgrid });
  const nodes = allNodes(ctx.grid).map(located);
  const known = [...ctx.planned.map((p) => p.session.node), ...ctx.unreachable.map((u) => u.node), ...recordedNodes(recorded)].map(located);
  const renamed = [...ctx.renamed].flatMap(([old, now]) => nodes.filter((n) => n.name === now).map((n) => ({ ...n, name: old })));
  const all = [...nodes, ...known, ...renamed];
  return topologyNodesBySubgrid(all.filter((n, i) => all.findIndex((m) => m.name === n.name && m.region === n.region && m.subgrid === n.subgrid) === i));
}
