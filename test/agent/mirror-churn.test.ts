import { watchCalm } from '../../src/agent/sim/calm.js';

/**
 * Loads that move must not move the mirrors either: a mirror set chosen by live score swapped a
 * busy mirror for an idle member and back as loads moved, each swap two commits and a new mirror
 * without a registry copy yet. Sub-grids of 9 nodes with 2 mirrors (plenty of challengers), loads
 * between idle and 1.5 x saturated every few seconds.
 */
test.each([1, 2, 3, 4, 5, 6])('no mirror-set change while calm, loads moving (seed %i)', (seed) => {
  const result = watchCalm({ shape: { regions: 1, subgridsPerRegion: 2, nodesPerSubgrid: 9, seed, mirrors: 2 }, settleMs: 40_000, watchMs: 60_000 });
  expect([result.voterChanges, result.firstProblem]).toEqual([0, null]);
  expect(result.violations).toBe(0);
});
