import type { SimNetwork } from '../../src/agent/sim/network.js';
import { leaderOf, smallCluster } from './sim-helpers.js';

/** Runs until the first super peer serves; returns it and its term. */
function firstLeader(network: SimNetwork, names: string[]): { leader: string | undefined; term: number | undefined } {
  while (network.now < 10_000 && leaderOf(network, names) === undefined) network.runFor(50);
  const leader = leaderOf(network, names);
  return { leader, term: leader === undefined ? undefined : network.core(leader)!.subgrid.term };
}

/**
 * The first election follows the scores gridops renders from facts (bootstrapScore), not the
 * live ones, so that it is the election the plan shows. Afterwards the live scores rule: the
 * rebalance handover and every later election use them.
 */
describe('bootstrapScore: the first election is the planned one', () => {
  test('the node with the best rendered score wins the first election, whatever the live scores, on every seed', () => {
    for (let seed = 1; seed <= 20; seed++) {
      // Live: n2, n3 and n4 are alike and n1 much weaker. Rendered: n3 ranks first.
      const { network, names, invariant } = smallCluster(4, { seed, cores: [2, 8, 8, 8], bootstrapScores: [10, 20, 30, 5] });
      expect({ seed, ...firstLeader(network, names) }).toEqual({ seed, leader: 'n3', term: 1 });
      // Comparable live scores: no rebalance moves it.
      network.runFor(10_000);
      expect(leaderOf(network, names)).toBe('n3');
      expect(invariant.violations).toEqual([]);
    }
  });

  test('equal rendered scores go to the lowest name (byte order), as the plan says', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const { network, names } = smallCluster(3, { seed, cores: [8, 10, 8], bootstrapScores: [20, 20, 20] });
      expect(firstLeader(network, names).leader).toBe('n1');
    }
  });

  test('a far better live machine then takes over by the rebalance handover, and a failover ranks by live scores', () => {
    const { network, names, invariant } = smallCluster(4, { seed: 3, cores: [2, 64, 8, 8], bootstrapScores: [30, 5, 20, 10] });
    expect(firstLeader(network, names)).toEqual({ leader: 'n1', term: 1 });
    network.runFor(10_000);
    expect(leaderOf(network, names)).toBe('n2');
    network.crash('n2');
    network.runFor(8_000);
    // Of the rest, n3 and n4 (8 cores) are better live machines than n1 (2 cores), though n1 ranked first by rendered score.
    expect(['n3', 'n4']).toContain(leaderOf(network, names));
    expect(invariant.violations).toEqual([]);
  });
});

describe('a planned first election waits for every expected node (bootstrapGrace)', () => {
  test('the planned node wins even when its agent starts last, within the grace', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const { network, names, invariant } = smallCluster(3, { seed, bootstrapScores: [30, 20, 10] });
      network.crash('n1');
      network.runFor(5_000);
      // n2 and n3 are a quorum but wait for n1, which is expected.
      expect(leaderOf(network, names)).toBeUndefined();
      network.restart('n1');
      expect({ seed, ...firstLeader(network, names) }).toEqual({ seed, leader: 'n1', term: 1 });
      expect(invariant.violations).toEqual([]);
    }
  });

  test('a node that never comes delays the first election by the grace, no more', () => {
    const { network, names } = smallCluster(3, { seed: 2, bootstrapScores: [30, 20, 10] });
    network.crash('n1');
    network.runFor(9_000);
    expect(leaderOf(network, names)).toBeUndefined();
    network.runFor(4_000);
    expect(leaderOf(network, names)).toBe('n2');
  });
});
