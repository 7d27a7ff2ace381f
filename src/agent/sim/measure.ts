import { SimNetwork } from './network.js';
import { SingleLeaderPerTerm } from './invariants.js';
import { buildGrid, type GridShape } from './topology.js';

/** Timings of one super-peer failover, in simulated ms after the crash (null: never happened). */
export interface FailoverSample {
  subgrid: string;
  detectionMs: number | null;
  electionMs: number | null;
  convergenceMs: number | null;
  /** After the crashed node restarts: until the super peer lists its new incarnation as alive. */
  rejoinMs: number | null;
}

export interface FailoverRun {
  samples: FailoverSample[];
  violations: number;
  /** Steady traffic of ordinary members (not super peer, not mirror), bytes sent + received per second. */
  memberBytesPerSecond: number[];
  /** The same for mirrors (they also receive the syncs). */
  mirrorBytesPerSecond: number[];
  nodes: number;
  simulatedMs: number;
  wallMs: number;
  /** Multi-region grids only: when every region peer first knew every other region's current peer (ms after start). */
  peerRegionsKnownMs: number | null;
  /** Region-peer directory traffic (peerSummary + peerRedirect, sent + received) per region peer, B/s. */
  regionPeerDirectoryBytesPerSecond: number[];
  /** After the crash: until every region peer again names every other region's current peer (null: not within the run). */
  peerRegionsReconvergedMs: number | null;
  /** After the crash: until every region has a region peer again, newly elected after the crash (null: not within the run). */
  regionPeersBackMs: number | null;
  /** Challenges delivered over the whole run (each one extra round trip: a packet that did not echo a restarted receiver's nonce). */
  challenges: number;
}

export interface FailoverOptions {
  shape: GridShape;
  /** Crash the super peer of this many sub-grids at once (all of them if larger). */
  crashSubgrids: number;
  loss?: number;
  warmupMs?: number;
  trafficWindowMs?: number;
  restartAfterMs?: number;
  settleMs?: number;
  /** SIGKILL (default), or a network cut: the super peer is isolated, and healed instead of restarted. */
  fault?: 'crash' | 'isolate';
  /** Every node ticks at its own offset, as real agents do (SimOptions.tickPhases). */
  tickPhases?: boolean;
}

/**
 * Boots a grid, measures steady traffic, SIGKILLs super peers, measures detection, election
 * and convergence, restarts them and measures rejoin. Detection is the first survivor of the
 * sub-grid declaring the leader lost; election is a new super peer winning; convergence is
 * every live node of the sub-grid naming it.
 */
export function measureFailover(options: FailoverOptions): FailoverRun {
  const started = Date.now();
  const grid = buildGrid(options.shape);
  const network = new SimNetwork(grid.specs, { seed: options.shape.seed, dns: grid.dns, measureBytes: true, loss: options.loss ?? 0, tickPhases: options.tickPhases ?? false });
  const invariant = new SingleLeaderPerTerm();
  network.onStep(invariant.observer);
  let challenges = 0;
  network.onWire((packet) => {
    if (packet.packet.message.type === 'challenge') challenges++;
  });
  network.startAll();
  const warmup = options.warmupMs ?? 15_000;
  const window = options.trafficWindowMs ?? 10_000;
  const regionOf = new Map(grid.specs.map((spec) => [spec.settings.name, spec.settings.region]));
  const regions = [...new Set(regionOf.values())];
  const multiRegion = regions.length > 1;
  /** Every region has a region peer, and each lists every other region under its current peer, alive. */
  const peerRegionsConverged = (): boolean => {
    const peers = new Map<string, string>();
    for (const name of network.names()) if (network.core(name)?.region.isLeader()) peers.set(regionOf.get(name)!, name);
    if (peers.size !== regions.length) return false;
    for (const [region, name] of peers) {
      const listed = network.core(name)!.directory.list();
      for (const other of regions) {
        if (other === region) continue;
        const entry = listed.find((candidate) => candidate.region === other);
        if (entry === undefined || entry.liveness !== 'alive' || entry.regionPeer !== peers.get(other)) return false;
      }
    }
    return true;
  };
  let peerRegionsKnownMs: number | null = null;
  for (let time = network.tickMs; time <= warmup; time += network.tickMs) {
    network.runUntil(time);
    if (multiRegion && peerRegionsKnownMs === null && time % 500 === 0 && peerRegionsConverged()) peerRegionsKnownMs = time;
  }
  const directoryBytes = (name: string): number => (network.traffic(name).bytesByType['peerSummary'] ?? 0) + (network.traffic(name).bytesByType['peerRedirect'] ?? 0);

  const before = new Map(network.names().map((name) => [name, { ...network.traffic(name), directory: directoryBytes(name) }]));
  network.runUntil(warmup + window);
  const regionPeerDirectoryBytesPerSecond: number[] = [];
  for (const name of network.names()) {
    if (multiRegion && network.core(name)!.region.isLeader()) regionPeerDirectoryBytesPerSecond.push(((directoryBytes(name) - before.get(name)!.directory) * 1000) / window);
  }
  const memberBytesPerSecond: number[] = [];
  const mirrorBytesPerSecond: number[] = [];
  for (const name of network.names()) {
    const status = network.core(name)!.status();
    if (status.role !== 'member' && status.role !== 'mirror') continue;
    const now = network.traffic(name);
    const then = before.get(name)!;
    (status.role === 'member' ? memberBytesPerSecond : mirrorBytesPerSecond).push(((now.bytesSent - then.bytesSent + now.bytesReceived - then.bytesReceived) * 1000) / window);
  }

  const crashAt = network.now;
  const victims = new Map<string, { subgrid: string; oldTerm: number }>();
  for (const subgrid of grid.subgrids.slice(0, options.crashSubgrids)) {
    const leader = network.subgridMembers(subgrid).find((name) => network.core(name)?.subgrid.isLeader());
    if (leader !== undefined) victims.set(leader, { subgrid, oldTerm: network.core(leader)!.subgrid.term });
  }
  const samples = new Map<string, FailoverSample>();
  const newLeaders = new Map<string, string>();
  for (const { subgrid } of victims.values()) samples.set(subgrid, { subgrid, detectionMs: null, electionMs: null, convergenceMs: null, rejoinMs: null });
  const victimOf = new Map([...victims].map(([name, victim]) => [victim.subgrid, name]));
  const restartAfter = options.restartAfterMs ?? 8_000;
  const restartAt = crashAt + restartAfter;

  network.onEvent((node, event, time) => {
    const core = network.core(node);
    if (core === null) return;
    const subgrid = core.status().subgrid;
    const sample = samples.get(subgrid);
    if (sample === undefined || time < crashAt) return;
    if (event.type === 'leaderLost' && event.tier === 'subgrid' && event.leader === victimOf.get(subgrid) && sample.detectionMs === null) {
      sample.detectionMs = time - crashAt;
    }
    if (event.type === 'electionWon' && event.tier === 'subgrid' && sample.electionMs === null) {
      sample.electionMs = time - crashAt;
      newLeaders.set(subgrid, node);
    }
    if (event.type === 'member' && event.tier === 'subgrid' && time >= restartAt && event.name === victimOf.get(subgrid) && (event.change === 'joined' || event.change === 'rejoined') && core.subgrid.isLeader() && sample.rejoinMs === null) {
      sample.rejoinMs = time - restartAt;
    }
  });
  const isolate = options.fault === 'isolate';
  for (const name of victims.keys()) {
    if (isolate) network.isolate(name);
    else network.crash(name);
  }

  // Convergence: poll every tick until every live node of the sub-grid names the new super peer.
  let peerRegionsReconvergedMs: number | null = null;
  let regionPeersBackMs: number | null = null;
  /** Every region has a live region peer that is also a super peer (after killing every super peer: a new one). */
  const regionPeersBack = (): boolean => {
    const back = new Set<string>();
    for (const name of network.names()) {
      const core = network.core(name);
      if (core === null || !core.region.isLeader() || !core.subgrid.isLeader()) continue;
      back.add(regionOf.get(name)!);
    }
    return back.size === regions.length;
  };
  const checkPeerRegions = (time: number): void => {
    if (regionPeersBackMs === null && regionPeersBack()) regionPeersBackMs = time - crashAt;
    if (multiRegion && peerRegionsReconvergedMs === null && time % 500 === 0 && peerRegionsConverged()) peerRegionsReconvergedMs = time - crashAt;
  };
  for (let time = crashAt + network.tickMs; time <= restartAt; time += network.tickMs) {
    network.runUntil(time);
    checkPeerRegions(time);
    for (const sample of samples.values()) {
      if (sample.convergenceMs !== null) continue;
      const leader = newLeaders.get(sample.subgrid);
      if (leader === undefined || !network.core(leader)?.subgrid.isLeader()) continue;
      const agreed = network.subgridMembers(sample.subgrid).every((name) => !network.isUp(name) || victims.has(name) || network.core(name)!.status().superPeer === leader);
      if (agreed) sample.convergenceMs = time - crashAt;
    }
  }
  if (isolate) network.heal();
  else for (const name of victims.keys()) network.restart(name);
  const settleUntil = restartAt + (options.settleMs ?? 5_000);
  for (let time = restartAt + network.tickMs; time <= settleUntil; time += network.tickMs) {
    network.runUntil(time);
    checkPeerRegions(time);
  }
  network.runUntil(settleUntil);
  return {
    peerRegionsKnownMs,
    regionPeerDirectoryBytesPerSecond,
    peerRegionsReconvergedMs,
    regionPeersBackMs,
    challenges,
    samples: [...samples.values()],
    violations: invariant.violations.length,
    memberBytesPerSecond,
    mirrorBytesPerSecond,
    nodes: network.names().length,
    simulatedMs: network.now,
    wallMs: Date.now() - started,
  };
}

/** p-th percentile (0..100) of the non-null values, nearest-rank. */
export function percentile(values: (number | null)[], p: number): number | null {
  const present = values.filter((value): value is number => value !== null).sort((a, b) => a - b);
  if (present.length === 0) return null;
  const rank = Math.min(present.length - 1, Math.max(0, Math.ceil((p / 100) * present.length) - 1));
  return present[rank]!;
}

/** min / p50 / p90 / p99 / max and how many samples never completed. */
export function distribution(values: (number | null)[]): { n: number; missing: number; min: number | null; p50: number | null; p90: number | null; p99: number | null; max: number | null } {
  return {
    n: values.length,
    missing: values.filter((value) => value === null).length,
    min: percentile(values, 0),
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    p99: percentile(values, 99),
    max: percentile(values, 100),
  };
}
