import { SimNetwork } from '../../src/agent/sim/network.js';
import { SingleLeaderPerTerm } from '../../src/agent/sim/invariants.js';
import { buildGrid } from '../../src/agent/sim/topology.js';
import type { AgentCore, RegionStatus } from '../../src/agent/core/agent.js';

/** Region peers know each other: 3 regions x 3 sub-grids x 4 nodes, on the simulated network. */
describe('region peers of different regions (simulated network)', () => {
  const grid = buildGrid({ regions: 3, subgridsPerRegion: 3, nodesPerSubgrid: 4, seed: 5, neverFraction: 0 });
  const regions = ['r0', 'r1', 'r2'];

  const setup = (): { network: SimNetwork; invariant: SingleLeaderPerTerm } => {
    const network = new SimNetwork(grid.specs, { seed: 5, dns: grid.dns, measureBytes: true });
    const invariant = new SingleLeaderPerTerm();
    network.onStep(invariant.observer);
    network.startAll();
    return { network, invariant };
  };
  const up = (network: SimNetwork): AgentCore[] => network.names().flatMap((name) => (network.isUp(name) ? [network.core(name)!] : []));
  const regionPeerOf = (network: SimNetwork, region: string): AgentCore | undefined => up(network).find((core) => core.status().region === region && core.region.isLeader());
  /** Every region peer lists every region, naming the current region peer of each, alive. */
  const converged = (network: SimNetwork): boolean =>
    regions.every((region) => {
      const peer = regionPeerOf(network, region);
      if (peer === undefined) return false;
      const listed = peer.status().regions;
      return regions.every((other) => {
        const entry = listed.find((candidate) => candidate.region === other);
        return entry !== undefined && entry.liveness === 'alive' && entry.regionPeer === regionPeerOf(network, other)?.name;
      });
    });
  const runUntilConverged = (network: SimNetwork, limitMs: number): number | null => {
    const started = network.now;
    while (network.now - started < limitMs) {
      network.runFor(100);
      if (converged(network)) return network.now - started;
    }
    return null;
  };

  test('every region peer learns the other two, with their super peers and node counts, and answers for the grid', () => {
    const { network, invariant } = setup();
    const formedAt = runUntilConverged(network, 40_000);
    expect(formedAt).not.toBeNull();
    // A new region peer pushes at once, possibly before its region's other super peers joined it:
    // the complete lists arrive with the next push.
    network.runFor(10_000);
    for (const region of regions) {
      const listed: RegionStatus[] = regionPeerOf(network, region)!.status().regions;
      expect(listed.map((entry) => entry.region)).toEqual([region, ...regions.filter((other) => other !== region)]);
      for (const entry of listed) {
        expect(entry.superPeers).toHaveLength(3);
        expect(entry.nodes).toBe(12);
        for (const superPeer of entry.superPeers) expect(network.core(superPeer.name)!.subgrid.isLeader()).toBe(true);
      }
    }
    // Nobody but the region peers keeps the table.
    for (const core of up(network)) if (!core.region.isLeader()) expect(core.status().regions).toEqual([]);
    expect(invariant.violations).toEqual([]);

    // Steady state: one summary per interval to each other region, no replies; region peers stay cheap.
    const peers = regions.map((region) => regionPeerOf(network, region)!.name);
    const directoryBytes = (name: string): number => {
      const byType = network.traffic(name).bytesByType;
      return (byType['peerSummary'] ?? 0) + (byType['peerRedirect'] ?? 0);
    };
    const totalBytes = (name: string): number => network.traffic(name).bytesSent + network.traffic(name).bytesReceived;
    const before = peers.map((name) => [directoryBytes(name), totalBytes(name)] as const);
    network.runFor(60_000);
    const rates = peers.map((name, index) => [(directoryBytes(name) - before[index]![0]) / 60, (totalBytes(name) - before[index]![1]) / 60] as const);
    console.log(
      `peer regions: all 3 region peers know each other ${formedAt} ms after a cold start; steady directory traffic per region peer ` +
        `${rates.map(([directory]) => directory.toFixed(0)).join(' / ')} B/s (all its traffic as super and region peer: ${rates.map(([, total]) => total.toFixed(0)).join(' / ')} B/s)`,
    );
    // 2 peer regions x (one push out + one push in) per 10 s, each well under 1 KB.
    for (const [directory] of rates) expect(directory).toBeLessThan(300);
  });

  test('kill a region peer: the other two learn the new one after re-election; its old entry is replaced by term', () => {
    const { network, invariant } = setup();
    expect(runUntilConverged(network, 40_000)).not.toBeNull();
    const victim = regionPeerOf(network, 'r1')!;
    const oldTerm = victim.region.term;
    network.crash(victim.name);
    const healedAfter = runUntilConverged(network, 40_000);
    expect(healedAfter).not.toBeNull();
    const successor = regionPeerOf(network, 'r1')!;
    console.log(`peer regions: region peer of r1 SIGKILLed; r0 and r2 name its successor ${successor.name} ${healedAfter} ms later`);
    expect(successor.name).not.toBe(victim.name);
    // Later, the victim's sub-grid has a new super peer in the region, and the counts exclude the dead node.
    network.runFor(40_000);
    for (const region of ['r0', 'r2']) {
      const entry = regionPeerOf(network, region)!.status().regions.find((candidate) => candidate.region === 'r1')!;
      // The successor, or whoever it handed over to since (a rebalance to a better-scored super peer).
      expect(entry.regionPeer).toBe(regionPeerOf(network, 'r1')!.name);
      expect(entry.term).toBeGreaterThan(oldTerm);
      expect(entry.superPeers).toHaveLength(3);
      expect(entry.superPeers.map((peer) => peer.name)).not.toContain(victim.name);
      expect(entry.nodes).toBe(11);
    }
    expect(invariant.violations).toEqual([]);
  });

  test('a region that goes silent expires from the others, and comes back when it returns', () => {
    const { network } = setup();
    expect(runUntilConverged(network, 40_000)).not.toBeNull();
    const r2 = network.names().filter((name) => name.startsWith('r2-'));
    network.partition(r2);
    network.runFor(45_000);
    for (const region of ['r0', 'r1']) {
      expect(regionPeerOf(network, region)!.status().regions.map((entry) => entry.region)).toEqual([region, ...['r0', 'r1'].filter((other) => other !== region)]);
    }
    network.heal();
    expect(runUntilConverged(network, 30_000)).not.toBeNull();
  });
});
