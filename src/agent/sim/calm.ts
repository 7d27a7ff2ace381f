import { randomInt, seededRandom } from '../core/prng.js';
import { SingleLeaderPerTerm } from './invariants.js';
import { SimNetwork } from './network.js';
import { buildGrid, type GridShape } from './topology.js';

/** A run with no fault at all, only loads that move (a busy grid). */
export interface CalmOptions {
  shape: GridShape;
  /** Boot and settle for this long before watching (first elections, rebalances by standing score). */
  settleMs?: number;
  /** Then watch for this long, sampling every tick, as the lab polls /status every 100 ms. */
  watchMs?: number;
  /** Every node's load moves to a new random value in [0, loadFactor x cores] at random moments, on average every `loadEveryMs`. */
  loadFactor?: number;
  loadEveryMs?: number;
}

export interface CalmResult {
  /** Samples (one per tick) at which some live node of a sub-grid named no super peer, or not the one serving. */
  leaderlessSamples: number;
  /** Sub-grid or region leader changes (a different node, or a new term) while watched. */
  leaderChanges: number;
  /** Samples at which a region had no region peer named by all of its super peers. */
  regionLeaderlessSamples: number;
  /** Mirror-set changes (joint views a leader installs, either tier) while watched: each costs two commits. */
  voterChanges: number;
  /** What went wrong first, for the failure message. */
  firstProblem: string | null;
  violations: number;
  samples: number;
}

/**
 * Boots a grid, lets it settle, then watches it with no fault injected while every node's load
 * keeps moving (up to saturation): there must be no moment without a super peer (or region peer)
 * named by everyone, and no leader change at all. Loads that move must not move leaders.
 */
export function watchCalm(options: CalmOptions): CalmResult {
  const grid = buildGrid(options.shape);
  const network = new SimNetwork(grid.specs, { seed: options.shape.seed, dns: grid.dns });
  const invariant = new SingleLeaderPerTerm();
  network.onStep(invariant.observer);
  let watching = false;
  let voterChanges = 0;
  let firstVoterChange: string | null = null;
  network.onEvent((name, event, at) => {
    if (!watching || event.type !== 'viewChanged' || event.view.oldVoters === undefined) return;
    const core = network.core(name);
    const group = event.tier === 'subgrid' ? core?.subgrid : core?.region;
    if (group?.isLeader() !== true) return;
    voterChanges++;
    const keys = (voters: { name: string; slot?: string }[]): string => voters.map((voter) => voter.slot ?? voter.name).join(',');
    firstVoterChange ??= `${name} (${event.tier}): voters ${keys(event.view.oldVoters)} -> ${keys(event.view.voters)} at ${at} ms`;
  });
  const random = seededRandom(options.shape.seed ^ 0xca1);
  const loadEvery = options.loadEveryMs ?? 3_000;
  const loadFactor = options.loadFactor ?? 1.5;
  const nextLoadAt = new Map(grid.specs.map((spec) => [spec.settings.name, randomInt(random, 0, 2 * loadEvery)]));
  network.startAll();
  const settle = options.settleMs ?? 40_000;
  const watch = options.watchMs ?? 60_000;
  const regions = [...new Set(grid.specs.map((spec) => spec.settings.region))];
  const regionOf = new Map(grid.specs.map((spec) => [spec.settings.name, spec.settings.region]));
  const moveLoads = (): void => {
    for (const spec of grid.specs) {
      const name = spec.settings.name;
      if (network.now < nextLoadAt.get(name)!) continue;
      nextLoadAt.set(name, network.now + randomInt(random, loadEvery / 2, (3 * loadEvery) / 2));
      const load = Math.round(random.next() * loadFactor * spec.settings.attrs.cores * 100) / 100;
      network.core(name)?.setAttributes({ ...spec.settings.attrs, load });
    }
  };
  /** The one serving leader per sub-grid and per region, with its term, or a problem. */
  const leaders = (): { subgrids: Map<string, string>; regions: Map<string, string>; problems: string[]; regionProblems: string[] } => {
    const subgrids = new Map<string, string>();
    const regionLeaders = new Map<string, string>();
    const problems: string[] = [];
    const regionProblems: string[] = [];
    for (const subgrid of grid.subgrids) {
      const members = network.subgridMembers(subgrid);
      const serving = members.filter((name) => network.core(name)!.subgrid.isLeader());
      if (serving.length !== 1) {
        problems.push(`${subgrid}: ${serving.length} serving super peers`);
        continue;
      }
      const leader = serving[0]!;
      const dissent = members.find((name) => network.core(name)!.status().superPeer !== leader);
      if (dissent !== undefined) problems.push(`${subgrid}: ${dissent} names ${network.core(dissent)!.status().superPeer} instead of ${leader}`);
      subgrids.set(subgrid, `${leader}#${network.core(leader)!.subgrid.term}`);
    }
    for (const region of regions) {
      const superPeers = grid.subgrids.filter((subgrid) => subgrid.startsWith(`${region}-`)).map((subgrid) => network.subgridMembers(subgrid).find((name) => network.core(name)!.subgrid.isLeader()));
      const serving = network.names().filter((name) => regionOf.get(name) === region && network.core(name)!.region.isLeader());
      if (serving.length !== 1 || superPeers.some((name) => name === undefined || network.core(name)!.region.leaderName !== serving[0])) {
        regionProblems.push(`${region}: region peer ${serving.join(',') || 'none'} not named by every super peer`);
        continue;
      }
      regionLeaders.set(region, `${serving[0]}#${network.core(serving[0]!)!.region.term}`);
    }
    return { subgrids, regions: regionLeaders, problems, regionProblems };
  };
  while (network.now < settle) {
    network.runFor(network.tickMs);
    moveLoads();
  }
  watching = true;
  let baseline = leaders();
  let leaderlessSamples = 0;
  let regionLeaderlessSamples = 0;
  let leaderChanges = 0;
  let samples = 0;
  let firstProblem: string | null = baseline.problems[0] ?? baseline.regionProblems[0] ?? null;
  while (network.now < settle + watch) {
    network.runFor(network.tickMs);
    moveLoads();
    const now = leaders();
    samples++;
    if (now.problems.length > 0) leaderlessSamples++;
    if (now.regionProblems.length > 0) regionLeaderlessSamples++;
    for (const [group, leader] of [...now.subgrids, ...now.regions]) {
      const before = baseline.subgrids.get(group) ?? baseline.regions.get(group);
      if (before !== undefined && before !== leader) {
        leaderChanges++;
        firstProblem ??= `${group}: leader ${before} -> ${leader} at ${network.now} ms`;
      }
    }
    firstProblem ??= now.problems[0] !== undefined ? `${now.problems[0]} at ${network.now} ms` : now.regionProblems[0] !== undefined ? `${now.regionProblems[0]} at ${network.now} ms` : null;
    baseline = { ...now, subgrids: new Map([...baseline.subgrids, ...now.subgrids]), regions: new Map([...baseline.regions, ...now.regions]) };
  }
  firstProblem ??= firstVoterChange;
  return { leaderlessSamples, leaderChanges, regionLeaderlessSamples, voterChanges, firstProblem, violations: invariant.violations.length, samples };
}
