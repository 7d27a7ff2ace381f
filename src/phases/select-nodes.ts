import { allNodes, type Grid, type Node } from '../topology/model.js';
import { selectNodes as selectByLimit } from '../topology/select.js';

/**
 * The nodes a run works on: every node, or what `--limit` selects (names, globs, sub-grids,
 * regions, labels, `&` and `!`: topology/select.ts). A selector that matches nothing stops the
 * run before any connection, with the closest name.
 */
export function selectNodes(grid: Grid, limit?: readonly string[]): Node[] {
  // Only no --limit at all is every node: an empty list is refused by selectByLimit.
  if (limit === undefined) return allNodes(grid);
  return selectByLimit(grid, limit).nodes;
}
