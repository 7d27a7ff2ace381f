import { electedGroups } from './elected-groups.js';
import { nodesWithAgent } from './nodes-with-agent.js';
import type { GridState } from './state.js';
import { subgridKey } from '../topology/subgrid-key.js';

/**
 * What the state knows of the first bootstraps of the grid's sub-grids and regions, from which the
 * birth rule (overlay/birth-electorate.ts) decides the bootstrap electorate a node is born with
 * (templates/bootstrap-electorate.ts).
 */
export interface GroupBirths {
  /** Nodes that already run an agent (nodesWithAgent). */
  withAgent: ReadonlySet<string>;
  /** `region/sub-grid` keys whose super peer a recorded overlay named (elected-groups.ts): their first election happened. */
  electedSubgrids: ReadonlySet<string>;
  /** Regions whose region peer a recorded overlay named. */
  electedRegions: ReadonlySet<string>;
  /** Per `region/sub-grid`: the electorate its first nodes were given (node names), when recorded. */
  subgridElectorates: ReadonlyMap<string, readonly string[]>;
  /** Per region: the electorate its first nodes were given (sub-grid names), when recorded. */
  regionElectorates: ReadonlyMap<string, readonly string[]>;
}

/** Nothing born yet: a grid without state. */
export const NO_BIRTHS: GroupBirths = { withAgent: new Set(), electedSubgrids: new Set(), electedRegions: new Set(), subgridElectorates: new Map(), regionElectorates: new Map() };

/**
 * A sub-grid (region) counts as elected only from evidence that its election happened: an overlay
 * a verify recorded named its super peer (region peer), kept while the group runs agents (elected-groups.ts). A node running an agent is no such
 * evidence: a first apply that reached one node of three left it waiting for votes that the others
 * never cast when they signed in. The electorates are the ones recorded per host when gridops
 * rendered their bootstrap files; hosts in name order, so two records that differ (a topology
 * changed between two runs before the first election; not written by this version) resolve alike in every run.
 */
export function groupBirths(state: GridState): GroupBirths {
  const subgridElectorates = new Map<string, string[]>();
  const regionElectorates = new Map<string, string[]>();
  for (const name of Object.keys(state.hosts).sort()) {
    const { node, electorate } = state.hosts[name]!;
    if (!node || !electorate) continue;
    const key = subgridKey(node);
    if (electorate.subgrid && !subgridElectorates.has(key)) subgridElectorates.set(key, electorate.subgrid);
    if (electorate.region && !regionElectorates.has(node.region)) regionElectorates.set(node.region, electorate.region);
  }
  const elected = electedGroups(state);
  return { withAgent: nodesWithAgent(state), electedSubgrids: new Set(elected.subgrids), electedRegions: new Set(elected.regions), subgridElectorates, regionElectorates };
}
