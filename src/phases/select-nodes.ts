import { PlanningError } from '../errors/index.js';
import { allNodes, type Grid, type Node } from '../topology/model.js';

/** The nodes a run works on: `--limit` names, or every node of the grid. */
export function selectNodes(grid: Grid, limit?: readonly string[]): Node[] {
  const nodes = allNodes(grid);
  if (!limit?.length) return nodes;
  const unknown = limit.filter((n) => !nodes.some((node) => node.name === n));
  if (unknown.length) throw new PlanningError(`unknown node(s) in --limit: ${unknown.join(', ')}`, `node names are: ${nodes.map((n) => n.name).slice(0, 10).join(', ')}${nodes.length > 10 ? ', …' : ''}`);
  return nodes.filter((n) => limit.includes(n.name));
}
