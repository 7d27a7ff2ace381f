import { memberBirthElectorate } from '../overlay/birth-electorate.js';
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
 * electorate (applied by an older gridops): it signs in. Likewise for a region and its sub-grids.
 * That rule is overlay/birth-electorate.ts's, which the first-election waits ask too; this file
 * only gathers, per group, what the state knows of it. Pure.
 */
export function bootstrapElectorate(grid: Grid, node: Node, births: GroupBirths): BootstrapElectorate {
  const region = grid.regions.find((r) => r.name === node.region)!;
  const subgrid = region.subgrids.find((s) => s.name === node.subgrid)!;
  const key = `${region.name}/${subgrid.name}`;
  const subgridElectorate = memberBirthElectorate(
    {
      elected: births.electedSubgrids.has(key),
      recorded: births.subgridElectorates.get(key),
      runsAgents: subgrid.nodes.some((n) => births.withAgent.has(n.name)),
      members: subgrid.nodes.map((n) => n.name),
    },
    node.name,
  );
  const regionElectorate = memberBirthElectorate(
    {
      elected: births.electedRegions.has(region.name),
      recorded: births.regionElectorates.get(region.name),
      runsAgents: region.subgrids.some((s) => s.nodes.some((n) => births.withAgent.has(n.name))),
      members: region.subgrids.map((s) => s.name),
    },
    subgrid.name,
  );
  return {
    ...(subgridElectorate ? { subgrid: subgridElectorate } : {}),
    ...(regionElectorate ? { region: regionElectorate } : {}),
    peerRegions: grid.regions.filter((r) => r.name !== region.name).map((r) => ({ region: r.name, regionPeerName: r.regionPeerName })),
  };
}
