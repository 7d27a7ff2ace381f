import type { GroupBirths } from '../state/group-births.js';
import type { Grid, Node } from '../topology/model.js';

/**
 * What a node's agent is told once, at its birth, in /etc/gridagent/bootstrap.json (written
 * create-only: never rewritten, so growing the grid changes no existing node's files).
 */
export interface BootstrapElectorate {
  /** The sub-grid's first-bootstrap electorate (node names), while the sub-grid has not elected. */
  subgrid?: string[];
  /** The region's first-bootstrap electorate (sub-grid names), while the region has not elected. */
  region?: string[];
  /** The join list: every other region of the grid when the node is born (others are learned from them). */
  peerRegions: Array<{ region: string; regionPeerName: string }>;
}

/**
 * The bootstrap electorate of `node`, given what the state knows of the grid's first bootstraps.
 * A sub-grid whose first election has not happened (no recorded super peer) is still being born:
 * every node of its birth electorate gets that same list, whichever run reaches it, so a first
 * apply that reached one node of three leaves the others able to vote it in. The birth electorate
 * is the one recorded for its first nodes, else (none recorded) the topology's node list now. A
 * node outside it (added before the first election) gets none, as does every node of a sub-grid
 * that elected (while any of its nodes still runs an agent), or that runs agents with no recorded
 * electorate (applied by an older gridops): it signs in. Likewise for a region and its sub-grids. Pure.
 */
export function bootstrapElectorate(grid: Grid, node: Node, births: GroupBirths): BootstrapElectorate {
  const region = grid.regions.find((r) => r.name === node.region)!;
  const subgrid = region.subgrids.find((s) => s.name === node.subgrid)!;
  const key = `${region.name}/${subgrid.name}`;
  const subgridElectorate = birthElectorate(
    births.electedSubgrids.has(key),
    births.subgridElectorates.get(key),
    subgrid.nodes.some((n) => births.withAgent.has(n.name)),
    subgrid.nodes.map((n) => n.name),
    node.name,
  );
  const regionElectorate = birthElectorate(
    births.electedRegions.has(region.name),
    births.regionElectorates.get(region.name),
    region.subgrids.some((s) => s.nodes.some((n) => births.withAgent.has(n.name))),
    region.subgrids.map((s) => s.name),
    subgrid.name,
  );
  return {
    ...(subgridElectorate ? { subgrid: subgridElectorate } : {}),
    ...(regionElectorate ? { region: regionElectorate } : {}),
    peerRegions: grid.regions.filter((r) => r.name !== region.name).map((r) => ({ region: r.name, regionPeerName: r.regionPeerName })),
  };
}

/**
 * One group's birth electorate for `member` (a node, or for a region a sub-grid), or undefined
 * when it signs in. Every member of a birth gets the identical list: the bootstrap's quorums
 * intersect only among voters that agree on its size and names.
 */
function birthElectorate(elected: boolean, recorded: readonly string[] | undefined, runsAgents: boolean, now: string[], member: string): string[] | undefined {
  // A recorded election whose agents have all been reset since (the state forgot them) is no group any more.
  if (elected && runsAgents) return undefined;
  if (recorded) return recorded.includes(member) ? [...recorded] : undefined;
  // Agents run, but what their bootstrap files hold is not known: only signing in is safe.
  return runsAgents ? undefined : now;
}
