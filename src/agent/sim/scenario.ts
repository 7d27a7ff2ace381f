import { randomInt, seededRandom } from '../core/prng.js';
import { SingleLeaderPerTerm, type Violation } from './invariants.js';
import { SimNetwork } from './network.js';
import { buildGrid, type GridShape } from './topology.js';

/** One scripted fault, at a simulated time in ms. */
export type FaultAction =
  | { at: number; do: 'crash'; node: string }
  | { at: number; do: 'restart'; node: string }
  | { at: number; do: 'isolate'; node: string }
  | { at: number; do: 'cut'; a: string; b: string }
  | { at: number; do: 'partition'; side: string[] }
  | { at: number; do: 'heal' }
  | { at: number; do: 'loss'; rate: number }
  /** SIGTERM of a sub-grid's current super peer: hand over, exit once the successor won (at most 4 s), restart later. */
  | { at: number; do: 'sigterm'; subgrid: string; restartAfter: number }
  /**
   * `gridagent leave` on a sub-grid's current super peer whose handover failed: leave(true) still
   * leading, linger while it is still a voter (at most 4 s), exit, and never come back.
   */
  | { at: number; do: 'leaveForGood'; subgrid: string };

export interface Scenario {
  shape: GridShape;
  durationMs: number;
  actions: FaultAction[];
}

export interface ScenarioResult {
  violations: Violation[];
  termsWithLeader: number;
  regionReelections: number;
  network: SimNetwork;
}

/** Runs a scenario with the single-leader-per-term check on every step. */
export function runScenario(scenario: Scenario): ScenarioResult {
  const grid = buildGrid(scenario.shape);
  const network = new SimNetwork(grid.specs, { seed: scenario.shape.seed, dns: grid.dns });
  const invariant = new SingleLeaderPerTerm();
  network.onStep(invariant.observer);
  network.startAll();
  const actions = [...scenario.actions].sort((a, b) => a.at - b.at);
  // A node that left for good stays out (its marker keeps it out across restarts).
  const gone = new Set<string>();
  for (const action of actions) {
    network.runUntil(action.at);
    if (action.do === 'sigterm') sigterm(network, action, scenario.durationMs);
    else if (action.do === 'leaveForGood') leaveForGood(network, action, scenario.durationMs, gone);
    else if (action.do !== 'restart' || !gone.has(action.node)) apply(network, action);
  }
  network.runUntil(scenario.durationMs);
  return { violations: invariant.violations, termsWithLeader: invariant.termsWithLeader, regionReelections: invariant.regionReelections, network };
}

/** As the daemon does on SIGTERM: hand over, then exit when the successor won or after 4 s. */
function sigterm(network: SimNetwork, action: Extract<FaultAction, { do: 'sigterm' }>, durationMs: number): void {
  const members = network.subgridMembers(action.subgrid);
  const leader = members.find((name) => network.core(name)?.subgrid.isLeader());
  if (leader === undefined) return;
  network.core(leader)!.handover();
  const deadline = Math.min(durationMs, network.now + 4_000);
  while (network.now < deadline && network.core(leader) !== null) {
    network.runFor(network.tickMs);
    if (members.some((name) => name !== leader && network.core(name)?.subgrid.isLeader())) break;
  }
  network.crash(leader);
  network.runUntil(Math.min(durationMs, network.now + action.restartAfter));
  network.restart(leader);
}

/** As the daemon does on `gridagent leave` once its handover failed: leave(true) still leading, linger while still a voter (at most 4 s), exit for good. */
function leaveForGood(network: SimNetwork, action: Extract<FaultAction, { do: 'leaveForGood' }>, durationMs: number, gone: Set<string>): void {
  const leader = network.subgridMembers(action.subgrid).find((name) => network.core(name)?.subgrid.isLeader());
  if (leader === undefined) return;
  const core = network.core(leader)!;
  core.leave(true);
  const deadline = Math.min(durationMs, network.now + 4_000);
  do network.runFor(network.tickMs);
  while (network.now < deadline && network.core(leader) !== null && core.stillAVoter());
  network.crash(leader);
  gone.add(leader);
}

function apply(network: SimNetwork, action: Exclude<FaultAction, { do: 'sigterm' | 'leaveForGood' }>): void {
  switch (action.do) {
    case 'crash':
      return network.crash(action.node);
    case 'restart':
      return network.restart(action.node);
    case 'isolate':
      return network.isolate(action.node);
    case 'cut':
      return network.cut(action.a, action.b);
    case 'partition':
      return network.partition(action.side);
    case 'heal':
      return network.heal();
    case 'loss':
      return network.setLoss(action.rate);
  }
}

/**
 * A random schedule of crashes, restarts, partitions, cuts, isolation, loss, heals, SIGTERM
 * handovers and super peers leaving for good without a successor,
 * derived from the seed alone, so a failing seed replays exactly.
 */
export function randomSchedule(shape: GridShape, durationMs: number): FaultAction[] {
  const random = seededRandom(shape.seed ^ 0xfa17);
  const grid = buildGrid(shape);
  const names = grid.specs.map((spec) => spec.settings.name);
  const pick = (): string => names[randomInt(random, 0, names.length - 1)]!;
  const actions: FaultAction[] = [];
  // Every fourth schedule starts under a partition (or with cut links): the first bootstrap, which
  // every node starts at the same tick, is split and has to be retried once healed.
  const boot = seededRandom(shape.seed ^ 0xb0075);
  if (shape.seed % 4 === 3) {
    const side = names.filter(() => boot.next() < 0.5);
    actions.push({ at: 0, do: 'partition', side }, { at: randomInt(boot, 1000, 10_000), do: 'heal' });
  }
  let at = randomInt(random, 0, 3000);
  while (at < durationMs - 2000) {
    const roll = random.next();
    if (roll < 0.25) {
      const node = pick();
      actions.push({ at, do: 'crash', node }, { at: at + randomInt(random, 200, 6000), do: 'restart', node });
    } else if (roll < 0.45) {
      const side = names.filter(() => random.next() < 0.5);
      actions.push({ at, do: 'partition', side }, { at: at + randomInt(random, 500, 8000), do: 'heal' });
    } else if (roll < 0.6) {
      actions.push({ at, do: 'isolate', node: pick() }, { at: at + randomInt(random, 500, 6000), do: 'heal' });
    } else if (roll < 0.75) {
      for (let cut = 0; cut < 3; cut++) actions.push({ at, do: 'cut', a: pick(), b: pick() });
      actions.push({ at: at + randomInt(random, 500, 6000), do: 'heal' });
    } else if (roll < 0.85) {
      actions.push({ at, do: 'loss', rate: random.next() * 0.3 }, { at: at + randomInt(random, 500, 5000), do: 'loss', rate: 0 });
    } else if (roll < 0.93) {
      actions.push({ at, do: 'sigterm', subgrid: grid.subgrids[randomInt(random, 0, grid.subgrids.length - 1)]!, restartAfter: randomInt(random, 200, 4000) });
    } else if (roll < 0.96) {
      actions.push({ at, do: 'leaveForGood', subgrid: grid.subgrids[randomInt(random, 0, grid.subgrids.length - 1)]! });
    } else {
      // Several crashes at once, the super peer's likely among them.
      for (const node of names.filter(() => random.next() < 0.3)) {
        actions.push({ at, do: 'crash', node }, { at: at + randomInt(random, 500, 8000), do: 'restart', node });
      }
    }
    at += randomInt(random, 300, 3000);
  }
  return actions;
}
