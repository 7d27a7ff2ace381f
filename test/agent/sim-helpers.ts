import type { AgentSettings } from '../../src/agent/core/agent.js';
import { SimNetwork, type SimNodeSpec } from '../../src/agent/sim/network.js';
import { SingleLeaderPerTerm } from '../../src/agent/sim/invariants.js';

/** A one-sub-grid cluster with explicit machines, for scripted scenarios. */
export function smallCluster(
  count: number,
  options: { seed?: number; never?: number[]; prefer?: number[]; cores?: number[]; expect?: number; bootstrapScores?: number[]; tickPhases?: boolean; addressed?: boolean } = {},
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
      // Reached only at host:port, as in the runtime (sim/network.ts, addressAllows).
      ...(options.addressed ? { addr: `${name}:7946` } : {}),
    };
    return { settings, seeds: names.filter((other) => other !== name).slice(0, 2) };
  });
  const network = new SimNetwork(specs, { seed: options.seed ?? 1, dns: { r: names.slice(0, 2) }, tickPhases: options.tickPhases ?? false });
  const invariant = new SingleLeaderPerTerm();
  network.onStep(invariant.observer);
  network.startAll();
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
