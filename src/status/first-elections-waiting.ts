import { firstElectionWaits, type FirstElectionWaits } from '../overlay/first-election-waits.js';
import { groupBirths } from '../state/group-births.js';
import type { GridState } from '../state/state.js';
import type { Grid } from '../topology/model.js';

/**
 * The sub-grids and regions whose first election cannot happen with the agents there are
 * (overlay/first-election-waits.ts, the rule apply's verify and plan use): after `apply --limit a1`
 * on a new sub-grid of a1, a2, a3, a1 was born with an electorate of three and needs two votes.
 * The electorates are those the state recorded when gridops rendered the bootstrap files. A voter
 * is a node where an agent runs now (`running`, as status read it) or where the state says one ran
 * (unreached, outside `--limit`, or its agent gone since: the other failures name that); only a
 * node no run gave an agent, and none runs on now, casts no vote. Pure.
 */
export function firstElectionsWaiting(grid: Grid, state: GridState, running: ReadonlySet<string>): FirstElectionWaits {
  const births = groupBirths(state);
  const voting = new Set([...running, ...births.withAgent]);
  return firstElectionWaits(grid, { subgrids: births.subgridElectorates, regions: births.regionElectorates }, voting, { subgrids: births.electedSubgrids, regions: births.electedRegions }, births.subgridElectorates);
}
