import { SimNetwork } from '../../src/agent/sim/network.js';
import { SingleLeaderPerTerm } from '../../src/agent/sim/invariants.js';
import { buildGrid } from '../../src/agent/sim/topology.js';

describe('region tier (simulated network)', () => {
  test('super peers elect one region peer, which knows every sub-grid and its size; re-elected when it dies', () => {
    const grid = buildGrid({ regions: 1, subgridsPerRegion: 3, nodesPerSubgrid: 5, seed: 11, neverFraction: 0 });
    const network = new SimNetwork(grid.specs, { seed: 11, dns: grid.dns });
    const invariant = new SingleLeaderPerTerm();
    network.onStep(invariant.observer);
    network.startAll();
    network.runUntil(20_000);
    const names = network.names();
    const regionPeers = names.filter((name) => network.core(name)!.region.isLeader());
    expect(regionPeers).toHaveLength(1);
    const regionPeer = regionPeers[0]!;
    const summary = network.core(regionPeer)!.status().regionSuperPeers;
    expect(summary.map((peer) => peer.subgrid).sort()).toEqual(grid.subgrids);
    expect(summary.reduce((sum, peer) => sum + (peer.members ?? 0), 0)).toBe(15);
    for (const name of names.filter((candidate) => network.core(candidate)!.subgrid.isLeader())) {
      expect(network.core(name)!.status().regionPeer).toBe(regionPeer);
    }

    network.crash(regionPeer);
    network.runFor(20_000);
    const next = names.filter((name) => network.isUp(name) && network.core(name)!.region.isLeader());
    expect(next).toHaveLength(1);
    expect(next[0]).not.toBe(regionPeer);
    expect(network.core(next[0]!)!.status().regionSuperPeers.filter((peer) => peer.liveness === 'alive')).toHaveLength(3);
    expect(invariant.violations).toEqual([]);
  });
});
