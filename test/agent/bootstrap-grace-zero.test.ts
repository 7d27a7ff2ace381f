import { smallCluster } from './sim-helpers.js';

/**
 * `bootstrapGrace: 0` means no wait for a better-ranked node (docs/agent.md, the config's timers):
 * a planned first election then holds nothing up for the better node, and is decided as an
 * unplanned one: the better node keeps its term-1 vote alone (without even that, the first node up
 * won: a review's 40 seeded runs of 5 nodes started worst-first gave the best node none). The case:
 * the planned node n1 starts 3 s after n2, the third expected node never comes, so the bootstrap
 * quorum (2 of 3) needs n1's vote. n2 stands first (n1 still waits `bootstrapAfter` after its
 * start). With a 10 s grace n1 refuses n2 in every term while it could win and wins itself
 * (planned-election-out-of-step.test.ts); with none, n1 refuses n2's term-1 vote and nothing after,
 * and n2's next campaign wins.
 */
describe('a planned first election with bootstrapGrace 0', () => {
  test('is won by the worse node that stood first, in term 2: the better one kept its term-1 vote and refused nothing after', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const { network, invariant } = smallCluster(3, { seed, bootstrapScores: [30, 20, 10], timers: { bootstrapGrace: 0 }, started: false });
      const refusals: string[] = [];
      network.onSend((from, out) => {
        const message = out.message;
        if ((message.type === 'preVoteResp' || message.type === 'voteResp') && message.bootstrap === true && !message.granted) refusals.push(`${from} refused ${message.to} (${message.type}, term ${message.term})`);
      });
      let firstWin: { node: string; term: number } | undefined;
      network.onEvent((node, event) => {
        if (event.type === 'electionWon' && event.tier === 'subgrid') firstWin ??= { node, term: event.term };
      });
      network.start('n2');
      network.runFor(3_000);
      network.start('n1');
      network.runFor(30_000);
      expect({ seed, firstWin, refusals }).toEqual({ seed, firstWin: { node: 'n2', term: 2 }, refusals: ['n1 refused n2 (voteResp, term 1)'] });
      expect(invariant.violations).toEqual([]);
    }
  });
});
