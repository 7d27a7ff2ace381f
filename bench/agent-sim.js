#!/usr/bin/env node
// gridagent at scale, in simulated time: failover timings over many seeded runs, then one
// grid of 2000+ agents in one process (traffic per node, failover of every super peer at once).
// Then 10,000 agents in one process, with the cost of each simulated second (skip with --no-10k).
// Run after `npm run build`:  node bench/agent-sim.js [--runs 1000] [--regions 4 --subgrids 10 --nodes 52] [--no-10k] [--json]
// --runs takes a whole number of 1 or more (else exit 64: a word made NaN, and no run at all).
import { benchFlagsOrExit } from './lib/bench-flags.js';
import { repetitionsFlag } from './lib/repetitions-flag.js';

const flags = benchFlagsOrExit('agent-sim', process.argv.slice(2));
let runs;
try {
  runs = repetitionsFlag(flags, 'runs', 1000);
} catch (err) {
  console.error(`bench/agent-sim: ${err.message}`);
  process.exit(64);
}
const { measureFailover, distribution } = await import('../dist/agent/sim/measure.js');
const flag = (name, fallback) => (flags.has(name) ? Number(flags.get(name)) : fallback);
const shape = { regions: flag('regions', 4), subgridsPerRegion: flag('subgrids', 10), nodesPerSubgrid: flag('nodes', 52) };
const loss = flag('loss', 0);
const asJson = flags.has('json');

const fmt = (ms) => (ms === null ? '  n/a' : `${(ms / 1000).toFixed(2)} s`);
const row = (label, values) => {
  const d = distribution(values);
  return `${label.padEnd(34)} p50 ${fmt(d.p50)}  p90 ${fmt(d.p90)}  p99 ${fmt(d.p99)}  max ${fmt(d.max)}  (n=${d.n}, never=${d.missing})`;
};

// --only-10k: part 3 alone (its cost per simulated second is the figure to measure under the lock).
if (flags.has('only-10k')) {
  const t = measureFailover({ shape: { regions: 10, subgridsPerRegion: 20, nodesPerSubgrid: 50, seed: 10_000 }, crashSubgrids: 200, loss, warmupMs: 20_000, trafficWindowMs: 5_000, restartAfterMs: 6_000, settleMs: 3_000 });
  const simSeconds = t.simulatedMs / 1000;
  process.stdout.write(
    [
      `one grid of ${t.nodes} agents in one process (10 regions x 20 sub-grids x 50 nodes), all 200 super peers SIGKILLed at once:`,
      `  ${simSeconds.toFixed(0)} s simulated in ${(t.wallMs / 1000).toFixed(1)} s wall: ${(t.wallMs / 1000 / simSeconds).toFixed(2)} s of wall time per simulated second, ${Math.round(process.memoryUsage.rss() / 1048576)} MiB RSS`,
      row('  super peer crash detected', t.samples.map((s) => s.detectionMs)),
      row('  new super peer serving', t.samples.map((s) => s.electionMs)),
      row('  all members follow it', t.samples.map((s) => s.convergenceMs)),
      row('  restarted node registered', t.samples.map((s) => s.rejoinMs)),
      `  ordinary member traffic (sent+received): p50 ${distribution(t.memberBytesPerSecond).p50?.toFixed(0)} B/s, max ${distribution(t.memberBytesPerSecond).max?.toFixed(0)} B/s`,
      `  split-brain violations: ${t.violations}`,
      `  every region has a region peer again ${fmt(t.regionPeersBackMs)} after the crash`,
      '',
    ].join('\n'),
  );
  process.exit(0);
}

// Part 1: many small seeded runs, one super-peer crash each.
const samples = [];
const memberRates = [];
let violations = 0;
let challenges = 0;
const started = Date.now();
for (let seed = 1; seed <= runs; seed++) {
  const run = measureFailover({ shape: { regions: 1, subgridsPerRegion: 2, nodesPerSubgrid: 8, seed }, crashSubgrids: 1, loss });
  samples.push(...run.samples);
  memberRates.push(...run.memberBytesPerSecond);
  violations += run.violations;
  challenges += run.challenges;
}
const smallWall = Date.now() - started;

// Part 1b: the same seeded runs with a network cut of the super peer instead of a SIGKILL (healed 8 s later).
const cutSamples = [];
const mirrorRates = [];
let cutViolations = 0;
const cutStarted = Date.now();
for (let seed = 1; seed <= runs; seed++) {
  const run = measureFailover({ shape: { regions: 1, subgridsPerRegion: 2, nodesPerSubgrid: 8, seed }, crashSubgrids: 1, loss, fault: 'isolate' });
  cutSamples.push(...run.samples);
  mirrorRates.push(...run.mirrorBytesPerSecond);
  cutViolations += run.violations;
}
const cutWall = Date.now() - cutStarted;

// Part 2: one big grid.
const big = measureFailover({ shape: { ...shape, seed: 42 }, crashSubgrids: shape.regions * shape.subgridsPerRegion, loss, warmupMs: 20_000 });
const bigSimSeconds = big.simulatedMs / 1000;

// Part 3: 10,000 agents (10 regions x 20 sub-grids x 50 nodes), every super peer killed at once.
const huge = flags.has('no-10k')
  ? null
  : measureFailover({ shape: { regions: 10, subgridsPerRegion: 20, nodesPerSubgrid: 50, seed: 10_000 }, crashSubgrids: 200, loss, warmupMs: 20_000, trafficWindowMs: 5_000, restartAfterMs: 6_000, settleMs: 3_000 });
const hugeRssMiB = Math.round(process.memoryUsage.rss() / 1048576);

const pick = (list, key) => list.map((sample) => sample[key]);
const result = {
  seededRuns: {
    runs,
    loss,
    wallMs: smallWall,
    detection: distribution(pick(samples, 'detectionMs')),
    election: distribution(pick(samples, 'electionMs')),
    convergence: distribution(pick(samples, 'convergenceMs')),
    rejoin: distribution(pick(samples, 'rejoinMs')),
    memberBytesPerSecond: distribution(memberRates),
    splitBrainViolations: violations,
    challenges,
  },
  seededCuts: {
    runs,
    wallMs: cutWall,
    detection: distribution(pick(cutSamples, 'detectionMs')),
    election: distribution(pick(cutSamples, 'electionMs')),
    convergence: distribution(pick(cutSamples, 'convergenceMs')),
    mirrorBytesPerSecond: distribution(mirrorRates),
    splitBrainViolations: cutViolations,
  },
  scale: {
    nodes: big.nodes,
    subgrids: shape.regions * shape.subgridsPerRegion,
    simulatedSeconds: bigSimSeconds,
    wallMs: big.wallMs,
    speedup: Number((big.simulatedMs / big.wallMs).toFixed(2)),
    detection: distribution(pick(big.samples, 'detectionMs')),
    election: distribution(pick(big.samples, 'electionMs')),
    convergence: distribution(pick(big.samples, 'convergenceMs')),
    rejoin: distribution(pick(big.samples, 'rejoinMs')),
    memberBytesPerSecond: distribution(big.memberBytesPerSecond),
    splitBrainViolations: big.violations,
    challenges: big.challenges,
    peerRegions: {
      knownAfterColdStartMs: big.peerRegionsKnownMs,
      regionPeerDirectoryBytesPerSecond: distribution(big.regionPeerDirectoryBytesPerSecond),
      reconvergedAfterCrashMs: big.peerRegionsReconvergedMs,
    },
    regionPeersBackAfterCrashMs: big.regionPeersBackMs,
  },
  ...(huge === null
    ? {}
    : {
        tenThousand: {
          nodes: huge.nodes,
          simulatedSeconds: huge.simulatedMs / 1000,
          wallMs: huge.wallMs,
          wallMsPerSimulatedSecond: Math.round(huge.wallMs / (huge.simulatedMs / 1000)),
          rssMiB: hugeRssMiB,
          detection: distribution(pick(huge.samples, 'detectionMs')),
          election: distribution(pick(huge.samples, 'electionMs')),
          convergence: distribution(pick(huge.samples, 'convergenceMs')),
          rejoin: distribution(pick(huge.samples, 'rejoinMs')),
          memberBytesPerSecond: distribution(huge.memberBytesPerSecond),
          splitBrainViolations: huge.violations,
          regionPeersBackAfterCrashMs: huge.regionPeersBackMs,
        },
      }),
};

if (asJson) {
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} else {
  const lines = [
    `gridagent simulation bench (default timers, 1 tick = 100 ms, LAN latency 0.2-2 ms, loss ${loss})`,
    '',
    `${runs} seeded runs (2 sub-grids x 8 nodes, SIGKILL the super peer, restart it 8 s later) in ${(smallWall / 1000).toFixed(1)} s wall:`,
    row('  super peer crash detected', pick(samples, 'detectionMs')),
    row('  new super peer serving', pick(samples, 'electionMs')),
    row('  all members follow it', pick(samples, 'convergenceMs')),
    row('  restarted node registered', pick(samples, 'rejoinMs')),
    `  ordinary member traffic (sent+received): p50 ${distribution(memberRates).p50?.toFixed(0)} B/s, max ${distribution(memberRates).max?.toFixed(0)} B/s`,
    `  split-brain violations (single super peer per term, every step): ${violations}`,
    `  challenges (one extra round trip each, after a restart): ${challenges} in ${runs} runs`,
    '',
    `${runs} seeded runs, the super peer cut off the network instead (healed 8 s later), in ${(cutWall / 1000).toFixed(1)} s wall:`,
    row('  lost super peer detected', pick(cutSamples, 'detectionMs')),
    row('  new super peer serving', pick(cutSamples, 'electionMs')),
    row('  all other members follow it', pick(cutSamples, 'convergenceMs')),
    `  mirror traffic (sent+received, syncs every 200 ms): p50 ${distribution(mirrorRates).p50?.toFixed(0)} B/s, max ${distribution(mirrorRates).max?.toFixed(0)} B/s`,
    `  split-brain violations: ${cutViolations}`,
    '',
    `one grid of ${big.nodes} agents (${result.scale.subgrids} sub-grids in ${shape.regions} regions), every super peer SIGKILLed at once:`,
    `  ${bigSimSeconds.toFixed(0)} s simulated in ${(big.wallMs / 1000).toFixed(1)} s wall (${result.scale.speedup}x real time)`,
    row('  super peer crash detected', pick(big.samples, 'detectionMs')),
    row('  new super peer serving', pick(big.samples, 'electionMs')),
    row('  all members follow it', pick(big.samples, 'convergenceMs')),
    row('  restarted node registered', pick(big.samples, 'rejoinMs')),
    `  ordinary member traffic (sent+received): p50 ${result.scale.memberBytesPerSecond.p50?.toFixed(0)} B/s, max ${result.scale.memberBytesPerSecond.max?.toFixed(0)} B/s (Vigne: 3.3 KB/s)`,
    `  split-brain violations: ${big.violations}`,
    `  challenges (one extra round trip each, after a restart): ${big.challenges}`,
    `  region peers know every other region: ${fmt(big.peerRegionsKnownMs)} after the cold start; directory traffic per region peer ${result.scale.peerRegions.regionPeerDirectoryBytesPerSecond.max?.toFixed(0)} B/s max`,
    `  every region has a region peer again ${fmt(big.regionPeersBackMs)} after every super peer was killed (the successors inherit the region voter slots)`,
    `  ... and every region peer knows every other region's new one again: ${big.peerRegionsReconvergedMs === null ? 'not within the run' : fmt(big.peerRegionsReconvergedMs)} after the crash`,
  ];
  if (huge !== null) {
    const t = result.tenThousand;
    lines.push(
      '',
      `one grid of ${huge.nodes} agents in one process (10 regions x 20 sub-grids x 50 nodes), all 200 super peers SIGKILLed at once:`,
      `  ${t.simulatedSeconds.toFixed(0)} s simulated in ${(t.wallMs / 1000).toFixed(1)} s wall: ${(t.wallMsPerSimulatedSecond / 1000).toFixed(2)} s of wall time per simulated second, ${t.rssMiB} MiB RSS`,
      row('  super peer crash detected', pick(huge.samples, 'detectionMs')),
      row('  new super peer serving', pick(huge.samples, 'electionMs')),
      row('  all members follow it', pick(huge.samples, 'convergenceMs')),
      row('  restarted node registered', pick(huge.samples, 'rejoinMs')),
      `  ordinary member traffic (sent+received): p50 ${t.memberBytesPerSecond.p50?.toFixed(0)} B/s, max ${t.memberBytesPerSecond.max?.toFixed(0)} B/s`,
      `  split-brain violations: ${huge.violations}`,
      `  every region has a region peer again ${fmt(huge.regionPeersBackMs)} after the crash`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
