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

/**
 * A rolling upgrade: a mirror still on an older agent sends no standing score, only its live one.
 * Ranked by that live score, a busy old mirror (load 6 of 8 cores: 65) lost its place to an idle
 * upgraded member (standing 104) and got it back as loads moved. A swap needs both standings.
 */
test('a busy mirror from an older agent (no standing score) is not swapped for an idle upgraded member', async () => {
  const { smallCluster, leaderOf } = await import('./sim-helpers.js');
  const { network, names } = smallCluster(8);
  network.runUntil(10_000);
  const leader = leaderOf(network, names)!;
  const mirrorsOf = (): string[] => [...network.core(leader)!.status().mirrors].sort();
  const before = mirrorsOf();
  expect(before).toHaveLength(4);
  const old = before[0]!;
  // What the leader holds for an older agent: its join had no `standing`.
  delete network.core(leader)!.subgrid.registry.get(old)!.standing;
  const attrs = { arch: 'x86_64', cores: 8, memoryMiB: 16384, labels: {}, load: 6, uptimeSec: 7200 };
  network.core(old)!.setAttributes(attrs);
  network.runFor(5_000);
  expect(network.core(leader)!.subgrid.registry.get(old)!.score).toBeLessThan(70);
  expect(mirrorsOf()).toEqual(before);
  expect(leaderOf(network, names)).toBe(leader);
});
