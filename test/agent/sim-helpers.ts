import type { AgentSettings } from '../../src/agent/core/agent.js';
import type { Timers } from '../../src/agent/core/timers.js';
import { SimNetwork, type SimNodeSpec } from '../../src/agent/sim/network.js';
import { SingleLeaderPerTerm } from '../../src/agent/sim/invariants.js';
import { buildGrid } from '../../src/agent/sim/topology.js';

/** A one-sub-grid cluster with explicit machines, for scripted scenarios. */
export function smallCluster(
  count: number,
  options: { seed?: number; never?: number[]; prefer?: number[]; cores?: number[]; expect?: number; bootstrapScores?: number[]; timers?: Partial<Timers>; tickPhases?: boolean; addressed?: boolean; started?: boolean } = {},
): { network: SimNetwork; names: string[]; invariant: SingleLeaderPerTerm } {
  const names = Array.from({ length: count }, (_, index) => `n${index + 1}`);
  const specs: SimNodeSpec[] = names.map((name, index) => {
    const settings: AgentSettings = {
      name,
      region: 'r',
      subgrid: 's',
      superPeer: options.never?.includes(index + 1) ? 'never' : options.prefer?.includes(index + 1) ? 'prefer' : 'auto',
      attrs: { arch: 'x86_64', cores: options.cores?.[index] ?? 8, memoryMiB: 16384, labels: {}, load: 0, uptimeSec: 7200 },
      expect: options.expect ?? count,
      regionExpect: 1,
      mirrors: 4,
      hysteresis: 0.25,
      ...(options.bootstrapScores ? { bootstrapScore: options.bootstrapScores[index]! } : {}),
      ...(options.timers ? { timers: options.timers } : {}),
      // Reached only at host:port, as in the runtime (sim/network.ts, addressAllows).
      ...(options.addressed ? { addr: `${name}:7946` } : {}),
    };
    return { settings, seeds: names.filter((other) => other !== name).slice(0, 2) };
  });
  const network = new SimNetwork(specs, { seed: options.seed ?? 1, dns: { r: names.slice(0, 2) }, tickPhases: options.tickPhases ?? false });
  const invariant = new SingleLeaderPerTerm();
  network.onStep(invariant.observer);
  // started: false leaves every agent down, for scenarios that start them one by one.
  if (options.started ?? true) network.startAll();
  return { network, names, invariant };
}

export function leaderOf(network: SimNetwork, names: string[]): string | undefined {
  return names.find((name) => network.core(name)?.subgrid.isLeader());
}

/** A machine as gridops configures a node added later: no bootstrap electorate unless `extra` gives one. */
export function addedNode(name: string, region: string, subgrid: string, extra: Partial<AgentSettings> = {}): SimNodeSpec {
  return {
    settings: {
      name,
      region,
      subgrid,
      superPeer: 'auto',
      attrs: { arch: 'x86_64', cores: 4, memoryMiB: 8192, labels: {}, load: 0.1, uptimeSec: 600 },
      mirrors: 4,
      hysteresis: 0.25,
      regionPeerName: region,
      ...extra,
    },
  };
}

/**
 * One region (by default of 3 sub-grids of 5 machines), settled for 20 s and watched for split
 * brain, for the region tier's failure scenarios: its region peer, and a sub-grid the region peer
 * is not in (so a crash there is a voter slot's failover, not the region peer's), with that
 * sub-grid's members and super peer.
 */
export function settledRegion(seed: number, shape: { subgrids: number; nodesPerSubgrid: number } = { subgrids: 3, nodesPerSubgrid: 5 }) {
  const grid = buildGrid({ regions: 1, subgridsPerRegion: shape.subgrids, nodesPerSubgrid: shape.nodesPerSubgrid, seed, neverFraction: 0 });
  const network = new SimNetwork(grid.specs, { seed, dns: grid.dns });
  const invariant = new SingleLeaderPerTerm();
  network.onStep(invariant.observer);
  network.startAll();
  network.runUntil(20_000);
  const regionPeer = network.names().find((name) => network.core(name)!.region.isLeader())!;
  const subgrid = grid.subgrids.find((candidate) => !network.subgridMembers(candidate).includes(regionPeer))!;
  const members = network.subgridMembers(subgrid);
  const superPeer = members.find((name) => network.core(name)!.subgrid.isLeader())!;
  return { network, invariant, regionPeer, subgrid, members, superPeer };
}
