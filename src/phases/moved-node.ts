import { PlanningError } from '../errors/index.js';
import { nodesWithAgent } from '../state/nodes-with-agent.js';
import type { GridState } from '../state/state.js';
import { allNodes, type Node } from '../topology/model.js';
import type { Phase } from './phase.js';
import { recordOf, sameAddressRenames } from './renamed-node.js';

/** A node of the topology that the state records, with an agent, in another region or sub-grid. */
export interface MovedNode {
  name: string;
  /** REGION/SUBGRID, as the state recorded it and as the topology has it now. */
  from: string;
  to: string;
  /** The name the state recorded it under, when it was renamed as well as moved. */
  renamedFrom?: string;
}

/**
 * The nodes of `nodes` that moved to another region or sub-grid under the same name since the
 * state recorded them where their agent ran (or where gridops wrote its bootstrap file). Such a
 * node cannot simply be applied again: its bootstrap.json is write-once (the old sub-grid's
 * electorate), the agent loads its saved sub-grid state (term, view) without asking whether it
 * is the same sub-grid, and nothing makes it leave the old one, where it stays a voter that never
 * answers (a sub-grid of two never elects again). A record that does not say where the node was
 * (an older gridops) is not known to have moved; a node that never ran an agent has no overlay to leave.
 * A node renamed as well (`renamed`: old name to new, find-removed-nodes.ts) is found by its old
 * record: its new name takes that host over in place, with the same write-once file and saved state.
 */
export function movedNodes(nodes: readonly Node[], state: GridState, renamed: ReadonlyMap<string, string> = new Map()): MovedNode[] {
  const ranAgent = nodesWithAgent(state);
  return nodes.flatMap((node) => {
    const record = recordOf(state, node.name, renamed);
    if (!record?.node) return [];
    const recordedAs = state.hosts[node.name] === record ? node.name : [...renamed].find(([old, to]) => to === node.name && state.hosts[old] === record)![0];
    if (!(ranAgent.has(recordedAs) || record.electorate !== undefined)) return [];
    const from = `${record.node.region}/${record.node.subgrid}`;
    const to = `${node.region}/${node.subgrid}`;
    if (from === to) return [];
    return [recordedAs === node.name ? { name: node.name, from, to } : { name: node.name, from, to, renamedFrom: recordedAs }];
  });
}

/**
 * Refuses a run whose nodes include one that moved to another sub-grid or region under the same
 * name (movedNodes), before any connection: gridops has no move, and the way there is two applies,
 * one that decommissions the node (its agent leaves the old sub-grid for good, and its files go)
 * and one that adds it afresh. A node outside the run (`--limit`) is not its concern. It runs once
 * the renames are known (after find nodes to decommission, which changes nothing), so a node
 * renamed and moved at once is refused too.
 */
export const checkMovedNodes: Phase = {
  title: 'check that no node moved to another sub-grid',
  async run(ctx) {
    const state = await ctx.recordedState();
    // A --playbook run looks for no renames (find nodes to decommission does not run): one at the same address is still that host.
    const renamed = ctx.workflow.adHoc ? sameAddressRenames(allNodes(ctx.grid), state) : ctx.renamed;
    const moved = movedNodes(ctx.nodes, state, renamed);
    if (moved.length === 0) return;
    const one = moved.length === 1;
    const what = moved.map((m) => `${m.name}${m.renamedFrom ? ` (renamed from ${m.renamedFrom})` : ''} moved from ${m.from} to ${m.to}`).join(', ');
    const sameName = moved.every((m) => !m.renamedFrom) ? ' under the same name' : '';
    const steps = moved.map((m) => `remove ${m.name} from the topology and apply (it is decommissioned: its agent leaves ${m.from} for good), then add it to ${m.to} and apply again`).join('; ');
    throw new PlanningError(
      `${what}${sameName}: gridops does not move a node between sub-grids; nothing was changed`,
      `${steps}. A node cannot be applied in place: its agent would keep ${one ? 'its' : 'their'} old sub-grid's state and first-election file, and stay a voter there that never answers. ` +
        `Or put ${one ? 'it' : 'them'} back where the state has ${one ? 'it' : 'them'} (\`gridops state show ${ctx.options.topologyFile} ${moved[0]!.name}\`)`,
    );
  },
};
