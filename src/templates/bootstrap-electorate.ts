import type { Grid, Node } from '../topology/model.js';

/**
 * What a node's agent is told once, at its birth, in /etc/gridagent/bootstrap.json (written
 * create-only: never rewritten, so growing the grid changes no existing node's files).
 */
export interface BootstrapElectorate {
  /** The sub-grid's first-bootstrap electorate (node names), when the whole sub-grid is new. */
  subgrid?: string[];
  /** The region's first-bootstrap electorate (sub-grid names), when the whole region is new. */
  region?: string[];
  /** The join list: every other region of the grid when the node is born (others are learned from them). */
  peerRegions: Array<{ region: string; regionPeerName: string }>;
}

/**
 * The bootstrap electorate of `node`, given the nodes that already run an agent. A sub-grid none
 * of whose nodes runs an agent yet is born now: its nodes elect its first super peer among
 * themselves, and only they. A node added to a sub-grid that exists gets no electorate: it never
 * bootstraps, it signs in. Likewise a region none of whose nodes runs an agent gets a region
 * electorate of its sub-grids; a sub-grid added to a running region registers with it. Pure.
 */
export function bootstrapElectorate(grid: Grid, node: Node, existing: ReadonlySet<string>): BootstrapElectorate {
  const region = grid.regions.find((r) => r.name === node.region)!;
  const subgrid = region.subgrids.find((s) => s.name === node.subgrid)!;
  const subgridIsNew = subgrid.nodes.every((n) => !existing.has(n.name));
  const regionIsNew = region.subgrids.every((s) => s.nodes.every((n) => !existing.has(n.name)));
  return {
    ...(subgridIsNew ? { subgrid: subgrid.nodes.map((n) => n.name) } : {}),
    ...(regionIsNew ? { region: region.subgrids.map((s) => s.name) } : {}),
    peerRegions: grid.regions.filter((r) => r.name !== region.name).map((r) => ({ region: r.name, regionPeerName: r.regionPeerName })),
  };
}
