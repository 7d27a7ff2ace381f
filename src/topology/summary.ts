import { plural } from '../plural.js';
import { allNodes, allSubgrids, type Grid } from './model.js';

export interface GridSummary {
  grid: string;
  regions: number;
  subgrids: number;
  nodes: number;
  text: string;
}

/** Counts for the one-line summary printed by validate, lab up and status. */
export function summarise(grid: Grid): GridSummary {
  const regions = grid.regions.length;
  const subgrids = allSubgrids(grid).length;
  const nodes = allNodes(grid).length;
  return { grid: grid.name, regions, subgrids, nodes, text: `grid ${grid.name}: ${plural(regions, 'region')}, ${plural(subgrids, 'sub-grid')}, ${plural(nodes, 'node')}` };
}
