import { distribution, measureFailover } from '../../src/agent/sim/measure.js';
import { leaderOf, smallCluster } from './sim-helpers.js';

type Cluster = ReturnType<typeof smallCluster>['network'];

/** Crashes `old` and returns how long (ms, in 10 ms steps, up to 3 s) until every survivor names the same new super peer; null if they never do. */
function msUntilSurvivorsAgree(network: Cluster, names: readonly string[], old: string): number | null {
  const crashedAt = network.now;
  network.crash(old);
  const survivors = names.filter((name) => name !== old);
  for (let t = 10; t <= 3_000; t += 10) {
    network.runUntil(crashedAt + t);
    const leader = leaderOf(network, survivors);
    if (leader !== undefined && survivors.every((name) => network.core(name)!.status().superPeer === leader)) return t;
  }
  return null;
}

/**
 * The numbers with default timers, over seeded runs (the bench runs 1000 and a 2000-node
 * grid; this keeps the unit suite fast with 200).
 */
const RUNS = Number(process.env['GRIDAGENT_FAILOVER_RUNS'] ?? 200);

test(`failover numbers over ${RUNS} seeded runs`, () => {
  const detection: (number | null)[] = [];
  const election: (number | null)[] = [];
  const rejoin: (number | null)[] = [];
  const traffic: number[] = [];
  let violations = 0;
  for (let seed = 1; seed <= RUNS; seed++) {
    const run = measureFailover({ shape: { regions: 1, subgridsPerRegion: 2, nodesPerSubgrid: 8, seed }, crashSubgrids: 1, trafficWindowMs: 5_000, restartAfterMs: 6_000, settleMs: 3_000 });
    for (const sample of run.samples) {
      detection.push(sample.detectionMs);
      election.push(sample.electionMs);
      rejoin.push(sample.rejoinMs);
    }
    traffic.push(...run.memberBytesPerSecond);
    violations += run.violations;
  }
  const summary = { detection: distribution(detection), election: distribution(election), rejoin: distribution(rejoin), traffic: distribution(traffic) };
  expect(summary.detection.missing).toBe(0);
  expect(summary.detection.p99).toBeLessThanOrEqual(3_000);
  expect(summary.election.missing).toBe(0);
  expect(summary.election.p99).toBeLessThanOrEqual(5_000);
  expect(summary.rejoin.missing).toBe(0);
  expect(summary.rejoin.p99).toBeLessThanOrEqual(3_000);
  expect(summary.traffic.max).toBeLessThanOrEqual(1_024);
  expect(violations).toBe(0);
});

/**
 * The lab's shape (2 sub-grids of 3 nodes) with every node ticking at its own moment, as real
 * agents do. A refused pre-vote used to cost a whole election timeout: the surviving voter's lease
 * often had one tick left when the first candidate asked, which was the ~1 s tail of the lab's
 * SIGKILL failovers (here p99 0.9 s, max 1.0 s before; 0.7 s with the pre-vote asked again every tick).
 */
test('lab-shaped sub-grids with per-node tick phases: every survivor names the new super peer within 0.8 s', () => {
  const convergence: (number | null)[] = [];
  let violations = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const run = measureFailover({ shape: { regions: 1, subgridsPerRegion: 2, nodesPerSubgrid: 3, seed, neverFraction: 0 }, crashSubgrids: 1, trafficWindowMs: 1_000, restartAfterMs: 3_000, settleMs: 1_000, tickPhases: true });
    for (const sample of run.samples) convergence.push(sample.convergenceMs);
    violations += run.violations;
  }
  const summary = distribution(convergence);
  expect(summary.missing).toBe(0);
  expect(summary.max).toBeLessThanOrEqual(800);
  expect(violations).toBe(0);
});

/**
 * Identical machines (the lab: six containers on one host) whose load rises just before the super
 * peer dies. Each mirror used to rank its own live score (at the new load) against the others'
 * replicated scores (at the old one), so every mirror ranked itself behind the others and none
 * stood in the first window: 0.8 to 1 s instead of 0.5 to 0.7 s. They now rank by the same copy.
 */
test('identical machines whose load rose just before the kill: the first-ranked mirror still stands first', () => {
  const times: number[] = [];
  for (let seed = 1; seed <= 30; seed++) {
    const { network, names, invariant } = smallCluster(3, { seed, cores: [8, 8, 8] });
    network.runUntil(8_000 + seed * 7);
    const old = leaderOf(network, names)!;
    for (const name of names) network.core(name)!.setAttributes({ arch: 'x86_64', cores: 8, memoryMiB: 16384, labels: {}, load: 4, uptimeSec: 7200 });
    // One more sync (each mirror redraws its timeout by rank then), before heartbeats carried the new loads everywhere.
    network.runFor(250);
    const agreed = msUntilSurvivorsAgree(network, names, old);
    expect({ seed, agreed: agreed !== null }).toEqual({ seed, agreed: true });
    times.push(agreed!);
    expect(invariant.violations).toEqual([]);
  }
  expect(Math.max(...times)).toBeLessThanOrEqual(750);
});

/**
 * Identical machines (equal scores, so the rank is the name order) whose processes tick at their
 * own moments. The next-ranked mirror's window must not overlap the first one's: with rank steps
 * of 0.3 s and a random part of 0.2 s, one tick of phase between two processes was enough for both
 * to pre-vote in the same instant, split the vote, and retry 0.7 s later (lab: 1.39 s, 1 kill in 20).
 */
test('identical machines ticking at their own moments: no split vote when the super peer dies (200 seeds)', () => {
  const times: number[] = [];
  for (let seed = 1; seed <= 200; seed++) {
    const { network, names, invariant } = smallCluster(3, { seed, cores: [8, 8, 8], tickPhases: true });
    network.runUntil(6_000 + seed * 13);
    const old = leaderOf(network, names)!;
    const agreed = msUntilSurvivorsAgree(network, names, old);
    expect({ seed, agreed: agreed !== null }).toEqual({ seed, agreed: true });
    times.push(agreed!);
    expect(invariant.violations).toEqual([]);
  }
  expect(Math.max(...times)).toBeLessThanOrEqual(750);
});
