import { randomInt, seededRandom } from '../core/prng.js';
import { SingleLeaderPerTerm } from './invariants.js';
import { SimNetwork } from './network.js';
import { buildGrid, type GridShape } from './topology.js';

/** One cold start of a fresh grid: every node starts at the same tick, with no state file. */
export interface ColdStartOptions {
  shape: GridShape;
  /**
   * Scores that move during the first seconds (load changes, as on real machines that just
   * booted), so that fresh nodes disagree about who ranks first and split their votes: every
   * node gets a new random load at a random time in [0, churnMs]. 0: no churn.
   */
  scoreChurnMs?: number;
  /** First boot under a partition: these nodes cannot talk to the others until `healAtMs`. */
  partitionSide?: string[];
  healAtMs?: number;
  /** Give up after this long (simulated ms). */
  limitMs?: number;
  loss?: number;
}

export interface ColdStartResult {
  /** Per sub-grid: when it had exactly one super peer, named by every member (ms; null: not within the limit). */
  subgridMs: (number | null)[];
  /** Per region: when its region peer was named by every super peer (ms; null: not within the limit or not asked). */
  regionMs: (number | null)[];
  /** The highest sub-grid and region terms reached: above 1 means the bootstrap was retried. */
  maxSubgridTerm: number;
  maxRegionTerm: number;
  violations: number;
  network: SimNetwork;
}

/** Runs a cold start and measures when each sub-grid, and each region, has its one leader. */
export function measureColdStart(options: ColdStartOptions, withRegions = false): ColdStartResult {
  const grid = buildGrid(options.shape);
  const network = new SimNetwork(grid.specs, { seed: options.shape.seed, dns: grid.dns, loss: options.loss ?? 0 });
  const invariant = new SingleLeaderPerTerm();
  network.onStep(invariant.observer);
  const churn = options.scoreChurnMs ?? 0;
  const random = seededRandom(options.shape.seed ^ 0xb007);
  const changes = churn > 0 ? grid.specs.map((spec) => ({ name: spec.settings.name, at: randomInt(random, 0, churn), load: Math.round(random.next() * spec.settings.attrs.cores * 100) / 100 })) : [];
  changes.sort((a, b) => a.at - b.at);
  network.startAll();
  if (options.partitionSide !== undefined) network.partition(options.partitionSide);
  const limit = options.limitMs ?? 30_000;
  const subgrids = grid.subgrids;
  const regions = [...new Set(grid.specs.map((spec) => spec.settings.region))];
  const subgridMs: (number | null)[] = subgrids.map(() => null);
  const regionMs: (number | null)[] = regions.map(() => null);
  let healed = options.partitionSide === undefined;
  let next = 0;
  while (network.now < limit) {
    network.runFor(network.tickMs);
    while (next < changes.length && changes[next]!.at <= network.now) {
      const change = changes[next++]!;
      const spec = grid.specs.find((candidate) => candidate.settings.name === change.name)!;
      network.core(change.name)?.setAttributes({ ...spec.settings.attrs, load: change.load });
    }
    if (!healed && network.now >= (options.healAtMs ?? 0)) {
      network.heal();
      healed = true;
    }
    subgrids.forEach((subgrid, index) => {
      if (subgridMs[index] !== null) return;
      const members = network.subgridMembers(subgrid);
      const leaders = members.filter((name) => network.core(name)!.subgrid.isLeader());
      if (leaders.length === 1 && members.every((name) => network.core(name)!.subgrid.leaderName === leaders[0])) subgridMs[index] = network.now;
    });
    if (withRegions) {
      regions.forEach((region, index) => {
        if (regionMs[index] !== null) return;
        const superPeers = subgrids
          .filter((subgrid) => subgrid.startsWith(`${region}-`))
          .map((subgrid) => network.subgridMembers(subgrid).find((name) => network.core(name)!.subgrid.isLeader()));
        if (superPeers.some((name) => name === undefined)) return;
        const peers = superPeers.filter((name) => network.core(name!)!.region.isLeader());
        if (peers.length === 1 && superPeers.every((name) => network.core(name!)!.region.leaderName === peers[0])) regionMs[index] = network.now;
      });
    }
    if (healed && subgridMs.every((ms) => ms !== null) && (!withRegions || regionMs.every((ms) => ms !== null))) break;
  }
  let maxSubgridTerm = 0;
  let maxRegionTerm = 0;
  for (const name of network.names()) {
    maxSubgridTerm = Math.max(maxSubgridTerm, network.core(name)!.subgrid.term);
    maxRegionTerm = Math.max(maxRegionTerm, network.core(name)!.region.term);
  }
  return { subgridMs, regionMs, maxSubgridTerm, maxRegionTerm, violations: invariant.violations.length, network };
}

/** p50 / p99 / max of a list of numbers (null if empty). */
export function percentiles(values: number[]): { p50: number; p99: number; max: number } | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1]! };
}
