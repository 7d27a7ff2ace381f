import { allSubgrids, type Grid } from './model.js';
import type { Problem } from '../errors/problem.js';
import { plural } from '../plural.js';
import { printableJson } from '../text/printable-json.js';

/** A sub-grid needs this many nodes that may stand to elect a successor while one is down. */
const FAILOVER_ELIGIBLE = 3;

/**
 * Things that are valid but probably not what the author wants, as warnings: `validate` shows
 * them and still exits 0. Today: sub-grids that cannot fail over (their super peer is elected by
 * a majority of its voters, the nodes that may stand, so with two of them the survivor alone
 * is not a majority, and the sub-grid has no super peer until the dead one comes back). Warnings
 * that depend on other files than the topology are the run's (check-inputs.ts): this result is cached.
 */
export function gridWarnings(grid: Grid): Problem[] {
  const warnings: Problem[] = [];
  for (const subgrid of allSubgrids(grid)) {
    const eligible = subgrid.nodes.filter((n) => n.superPeer !== 'never').length;
    if (eligible === 0 || eligible >= FAILOVER_ELIGIBLE) continue;
    warnings.push({
      ...subgrid.position,
      path: `${subgrid.region}/${subgrid.name}`,
      message: `sub-grid ${printableJson(subgrid.name)} has ${plural(eligible, 'node')} that may be its super peer, so it cannot elect a successor while its super peer is down (a majority of ${eligible} is ${Math.floor(eligible / 2) + 1})`,
      hint: `give it at least ${FAILOVER_ELIGIBLE} nodes without \`superPeer: never\` if it must survive the loss of its super peer`,
    });
  }
  return warnings;
}
