import type { PeersNow } from '../overlay/super-peers-now.js';
import { outsideNodesDown, type OutsideNode, type VoterDown } from '../overlay/voters-down.js';
import type { GridState } from '../state/state.js';
import { allNodes } from '../topology/model.js';
import { subgridKey } from '../topology/subgrid-key.js';
import { ranAgent } from './ran-agent.js';
import type { RunContext } from './run-context.js';

/**
 * Per sub-grid, the topology's nodes outside this run (`--limit`: never connected) that ran the
 * agent (the state says so, ran-agent: a node never applied is not down, only not there yet) and that the
 * reached registry hears down, under their name or a former one (a rename this run does not apply
 * yet). A full run would find them unreachable and count them against their sub-grid's
 * maxUnavailable (rollout-sizes); without this, a `--limit` run took that budget again, and a node
 * down outside the run that autopilot had already dropped from the voters counted nowhere at all.
 * Sub-grids with none are left out.
 */
export function downOutsideRun(ctx: Pick<RunContext, 'grid' | 'planned' | 'unreachable' | 'renamed'>, peers: PeersNow, state: GridState): Map<string, VoterDown[]> {
  const inRun = new Set([...ctx.planned.map((p) => p.session.node.name), ...ctx.unreachable.map((u) => u.node.name)]);
  const outside = new Map<string, OutsideNode[]>();
  for (const node of allNodes(ctx.grid)) {
    if (inRun.has(node.name) || !ranAgent(state, node.name, ctx.renamed)) continue;
    const formerNames = [...ctx.renamed].filter(([, to]) => to === node.name).map(([from]) => from);
    outside.set(subgridKey(node), [...(outside.get(subgridKey(node)) ?? []), { name: node.name, formerNames }]);
  }
  const down = new Map<string, VoterDown[]>();
  for (const [subgrid, nodes] of outside) {
    const heardDown = outsideNodesDown(subgrid, nodes, peers);
    if (heardDown.length) down.set(subgrid, heardDown);
  }
  return down;
}
