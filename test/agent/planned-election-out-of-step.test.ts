import { SimNetwork } from '../../src/agent/sim/network.js';
import { SingleLeaderPerTerm } from '../../src/agent/sim/invariants.js';
import { buildGrid } from '../../src/agent/sim/topology.js';
import { leaderOf, smallCluster } from './sim-helpers.js';

/** The first node to win an election of `tier`, as the network reports it. */
function firstWinner(network: SimNetwork, tier: 'subgrid' | 'region'): () => string | undefined {
  let first: string | undefined;
  network.onEvent((node, event) => {
    if (event.type === 'electionWon' && event.tier === tier) first ??= node;
  });
  return () => first;
}

/** The first election of `tier` won: by whom, in which term, and at what sim time (ms). */
function firstWin(network: SimNetwork, tier: 'subgrid' | 'region'): () => { node: string; term: number; atMs: number } | undefined {
  let first: { node: string; term: number; atMs: number } | undefined;
  network.onEvent((node, event) => {
    if (event.type === 'electionWon' && event.tier === tier) first ??= { node, term: event.term, atMs: network.now };
  });
  return () => first;
}

/** The plan's order: the best rendered score, ties to the lowest name (byte order). */
function planned(nodes: { name: string; score: number }[]): string {
  return [...nodes].sort((a, b) => (a.score !== b.score ? b.score - a.score : a.name < b.name ? -1 : 1))[0]!.name;
}

/**
 * An apply deploys the planned super peers first and the other nodes in waves, so the sub-grids of
 * a new region elect their super peers (and so start the region's election) seconds or minutes
 * apart. The super peer that is there first runs out of its region grace long before the planned
 * region peer arrives; the planned one must still win, not grant the earlier one a retry's vote.
 */
describe('the planned first election holds when the groups elect out of step', () => {
  test('the planned region peer wins when its sub-grid elects 25 to 40 s after the other one', () => {
    for (const gap of [25_000, 40_000]) {
      for (let seed = 1; seed <= 5; seed++) {
        const grid = buildGrid({ regions: 1, subgridsPerRegion: 2, nodesPerSubgrid: 3, seed, neverFraction: 0, renderedBootstrapScores: true });
        const bySubgrid = new Map<string, { name: string; score: number }[]>();
        for (const spec of grid.specs) {
          const members = bySubgrid.get(spec.settings.subgrid) ?? [];
          members.push({ name: spec.settings.name, score: spec.settings.bootstrapScore! });
          bySubgrid.set(spec.settings.subgrid, members);
        }
        const plannedSuperPeers = [...bySubgrid.values()].map((members) => ({ name: planned(members), score: Math.max(...members.map((member) => member.score)) }));
        const plannedRegionPeer = planned(plannedSuperPeers);
        const network = new SimNetwork(grid.specs, { seed, dns: grid.dns });
        const invariant = new SingleLeaderPerTerm();
        network.onStep(invariant.observer);
        const firstRegionPeer = firstWinner(network, 'region');
        // The first wave: the planned super peers, which cannot elect alone (a sub-grid of 3 needs 2).
        for (const superPeer of plannedSuperPeers) network.start(superPeer.name);
        network.runFor(40_000);
        const [laterSubgrid] = [...bySubgrid].find(([, members]) => members.some((member) => member.name === plannedRegionPeer))!;
        const earlierSubgrid = [...bySubgrid.keys()].find((subgrid) => subgrid !== laterSubgrid)!;
        for (const member of bySubgrid.get(earlierSubgrid)!) network.start(member.name);
        network.runFor(gap);
        for (const member of bySubgrid.get(laterSubgrid)!) network.start(member.name);
        network.runFor(40_000);
        expect({ gap, seed, regionPeer: firstRegionPeer() }).toEqual({ gap, seed, regionPeer: plannedRegionPeer });
        expect(invariant.violations).toEqual([]);
      }
    }
  });

  test('the planned super peer wins when it restarts 1 to 2 s after starting beside a worse node, the third never coming', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const { network, invariant } = smallCluster(3, { seed, bootstrapScores: [30, 20, 10], started: false });
      const firstSuperPeer = firstWinner(network, 'subgrid');
      network.start('n1');
      network.start('n2');
      network.runFor(1_000 + 100 * (seed % 10));
      network.crash('n1');
      network.runFor(300);
      network.start('n1');
      network.runFor(30_000);
      expect({ seed, superPeer: firstSuperPeer() }).toEqual({ seed, superPeer: 'n1' });
      expect(invariant.violations).toEqual([]);
    }
  });

  test('the planned super peer wins when it starts 3 s after a worse node, the third never coming', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const { network, invariant } = smallCluster(3, { seed, bootstrapScores: [30, 20, 10], started: false });
      const firstSuperPeer = firstWinner(network, 'subgrid');
      network.start('n2');
      network.runFor(3_000);
      network.start('n1');
      network.runFor(30_000);
      expect({ seed, superPeer: firstSuperPeer() }).toEqual({ seed, superPeer: 'n1' });
      expect(invariant.violations).toEqual([]);
    }
  });

  test('the planned super peer wins when it starts just before the others run out of their grace', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const { network, invariant } = smallCluster(3, { seed, bootstrapScores: [30, 20, 10], started: false });
      const firstSuperPeer = firstWinner(network, 'subgrid');
      network.start('n2');
      network.start('n3');
      network.runFor(9_500);
      network.start('n1');
      network.runFor(30_000);
      expect({ seed, superPeer: firstSuperPeer() }).toEqual({ seed, superPeer: 'n1' });
      expect(invariant.violations).toEqual([]);
    }
  });

  test('the planned super peer started first still wins when the others come 40 s later', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const { network, invariant } = smallCluster(3, { seed, bootstrapScores: [30, 20, 10], started: false });
      const firstSuperPeer = firstWinner(network, 'subgrid');
      network.start('n1');
      network.runFor(40_000);
      network.start('n2');
      network.runFor(100 * (seed % 10));
      network.start('n3');
      network.runFor(20_000);
      expect({ seed, superPeer: firstSuperPeer() }).toEqual({ seed, superPeer: 'n1' });
      expect(invariant.violations).toEqual([]);
    }
  });

  test('the planned super peer starting 9 s after a worse node, the third never coming, wins the first term', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const { network, invariant } = smallCluster(3, { seed, bootstrapScores: [30, 20, 10], started: false });
      const first = firstWin(network, 'subgrid');
      network.start('n2');
      network.runFor(9_000);
      network.start('n1');
      network.runFor(30_000);
      expect({ seed, node: first()?.node, term: first()?.term }).toEqual({ seed, node: 'n1', term: 1 });
      expect(invariant.violations).toEqual([]);
    }
  });

  test('the planned super peer restarting every 8 s, the third never coming: a worse one is elected within its campaign grace and a few s', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const { network, invariant } = smallCluster(3, { seed, bootstrapScores: [30, 20, 10], started: false });
      const first = firstWin(network, 'subgrid');
      network.start('n2');
      network.start('n1');
      // n1's memory (its grace clock, its lost campaigns) resets at every restart, and its grace
      // (10 s) never ends: only n2's own clock, which does not reset, can end n1's refusals.
      while (network.now < 60_000 && first() === undefined) {
        network.runFor(8_000);
        if (first() !== undefined) break;
        network.crash('n1');
        network.runFor(300);
        network.start('n1');
      }
      // n2 campaigns from the end of its grace (10 s); n1 yields once n2 has campaigned a grace (10 s).
      expect({ seed, node: first()?.node }).toEqual({ seed, node: 'n2' });
      expect(first()!.atMs).toBeLessThanOrEqual(25_000);
      expect(invariant.violations).toEqual([]);
    }
  });

  test('a better node whose own requests reach no quorum stops refusing, so a worse one is still elected', () => {
    for (let seed = 1; seed <= 5; seed++) {
      // n2 and n5 never come: n1, n3 and n4 are the quorum of 5. n1 outranks them and hears them,
      // and its answers reach n3, but its own (pre-)vote requests reach no one: n1 cannot win. n3
      // can, with n1's vote, so n1 must not refuse it for good.
      const { network, names, invariant } = smallCluster(5, { seed, bootstrapScores: [50, 40, 30, 20, 10], started: false });
      network.loseWhere((from, to, message) => from === 'n1' && (to === 'n4' || message.type === 'preVote' || message.type === 'vote'));
      for (const name of ['n1', 'n3', 'n4']) network.start(name);
      network.runFor(30_000);
      expect({ seed, superPeer: leaderOf(network, names) }).toEqual({ seed, superPeer: 'n3' });
      expect(invariant.violations).toEqual([]);
    }
  });
});
