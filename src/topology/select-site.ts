import { UnknownSelectorError } from '../errors/index.js';
import { closestName } from './closest-name.js';
import { allNodes, type Grid, type Node } from './model.js';
import { printableJson } from '../text/printable-json.js';

/**
 * The nodes of `--site`: a region, REGION/SUBGRID, or a sub-grid by its own name (names are unique
 * in the grid, as `--limit` takes them). Not a node, a glob or a label: a site is where a new part
 * of the grid is bootstrapped, a whole region or sub-grid. Checked before any connection, as
 * `--limit` is: a typo is a usage error with the closest site.
 */
export function selectSite(grid: Grid, site: string): Node[] {
  const nodes = allNodes(grid);
  const [first, second, extra] = site.split('/');
  const chosen =
    extra !== undefined ? [] : second !== undefined ? nodes.filter((n) => n.region === first && n.subgrid === second) : nodes.filter((n) => n.region === first || n.subgrid === first);
  if (chosen.length) return chosen;
  const sites = grid.regions.flatMap((r) => [r.name, ...r.subgrids.flatMap((s) => [s.name, `${r.name}/${s.name}`])]);
  const best = closestName(site, sites);
  const isNode = nodes.some((n) => n.name === site);
  throw new UnknownSelectorError(
    `--site ${printableJson(site)} is ${isNode ? 'a node, not a region or sub-grid' : `no region or sub-grid of grid ${grid.name}`}`,
    `${best !== undefined ? `did you mean ${printableJson(best)}? ` : ''}give REGION, REGION/SUBGRID or a sub-grid's name${isNode ? '; --limit works on single nodes' : `, one of: ${sites.slice(0, 12).join(', ')}`}`,
  );
}
