import type { Message } from '../../src/agent/core/types.js';
import { validateMessage } from '../../src/agent/core/validate.js';
import { smallCluster } from './sim-helpers.js';

type Request = { type: 'preVote' | 'vote'; term: number; campaignedTicks?: number };

/**
 * n1, the best-ranked of three fresh nodes, alone for 2 s (its discovery over, inside its 10 s
 * grace), is asked by the worst, n3 (its request handed to n1's core: n3 never runs): granted?
 * n3's request brings a bootstrap quorum (2 of 3) in sight.
 */
function answerTo(request: Request, planned: boolean, bootstrapGrace?: number): boolean {
  const timers = bootstrapGrace === undefined ? {} : { timers: { bootstrapGrace } };
  const { network } = smallCluster(3, { seed: 1, cores: [16, 8, 4], ...(planned ? { bootstrapScores: [30, 20, 10] } : {}), ...timers, started: false });
  const answers: boolean[] = [];
  network.onSend((from, out) => {
    const message = out.message;
    if (from === 'n1' && message.to === 'n3' && (message.type === 'preVoteResp' || message.type === 'voteResp')) answers.push(message.granted);
  });
  network.start('n1');
  network.runFor(2_000);
  const base = { tier: 'subgrid', group: 's', from: 'n3', to: 'n1', term: request.term, viewTerm: 0, viewVersion: 0, bootstrap: true, score: planned ? 10 : 1 } as const;
  const extra = request.campaignedTicks === undefined ? {} : { campaignedTicks: request.campaignedTicks };
  const message = (request.type === 'preVote' ? { ...base, ...extra, type: 'preVote' } : { ...base, ...extra, type: 'vote', transfer: false }) as Message;
  // Straight to the core, as if the packet had passed authentication and the replay guard.
  network.core('n1')!.step(message, undefined, true);
  network.runFor(100);
  expect(answers).toHaveLength(1);
  return answers[0]!;
}

describe('a fresh node keeps its bootstrap vote from a worse candidate', () => {
  describe('in a planned first election (bootstrapScore set), in any term, until the candidate campaigned a grace', () => {
    test.each([
      ['preVote', 2],
      ['vote', 1],
      ['vote', 3],
    ] as const)('a %s for term %i: refused while the candidate campaigned up to a grace (10 s), or does not say (an older agent)', (type, term) => {
      expect(answerTo({ type, term }, true)).toBe(false);
      expect(answerTo({ type, term, campaignedTicks: 0 }, true)).toBe(false);
      expect(answerTo({ type, term, campaignedTicks: 100 }, true)).toBe(false);
    });

    test.each([
      ['preVote', 2],
      ['vote', 3],
    ] as const)('a %s for term %i: granted once the candidate campaigned longer than a grace, whatever the voter remembers', (type, term) => {
      // The voter may have restarted a moment ago: its own grace and its count of lost campaigns start again, the candidate's clock does not.
      expect(answerTo({ type, term, campaignedTicks: 101 }, true)).toBe(true);
    });

    test.each([
      ['preVote', 1],
      ['preVote', 2],
      ['vote', 3],
    ] as const)('a %s for term %i: granted at once with bootstrapGrace 0 (no wait), an older agent\'s too', (type, term) => {
      expect(answerTo({ type, term, campaignedTicks: 0 }, true, 0)).toBe(true);
      expect(answerTo({ type, term }, true, 0)).toBe(true);
    });

    test('with bootstrapGrace 0, its term-1 vote alone is kept, as in an unplanned first election (the first node up would win otherwise)', () => {
      expect(answerTo({ type: 'vote', term: 1, campaignedTicks: 0 }, true, 0)).toBe(false);
      expect(answerTo({ type: 'vote', term: 1, campaignedTicks: 500 }, true, 0)).toBe(false);
      expect(answerTo({ type: 'vote', term: 2, campaignedTicks: 0 }, true, 0)).toBe(true);
    });

    test('a grace of one tick is still waited for: refused until the candidate campaigned longer than it', () => {
      expect(answerTo({ type: 'vote', term: 1, campaignedTicks: 1 }, true, 1)).toBe(false);
      expect(answerTo({ type: 'vote', term: 1, campaignedTicks: 2 }, true, 1)).toBe(true);
    });
  });

  describe('in an unplanned one (live scores, which move), only its term-1 vote', () => {
    test('term 1: its vote refused', () => {
      expect(answerTo({ type: 'vote', term: 1 }, false)).toBe(false);
    });

    test.each([
      ['preVote', 1],
      ['preVote', 2],
      ['vote', 2],
    ] as const)('a %s for term %i: granted', (type, term) => {
      expect(answerTo({ type, term }, false)).toBe(true);
    });
  });
});

describe("a bootstrap request's campaign time", () => {
  const request = (campaignedTicks: unknown): unknown => ({
    type: 'preVote', tier: 'subgrid', group: 's', from: 'n3', to: 'n1', term: 2, viewTerm: 0, viewVersion: 0, bootstrap: true, score: 10, campaignedTicks,
  });

  test('is a whole number of ticks, or absent (an older agent)', () => {
    expect(validateMessage(request(0))).not.toBeNull();
    expect(validateMessage(request(12_345))).not.toBeNull();
    expect(validateMessage(request(undefined))).not.toBeNull();
  });

  test.each([[-1], [1.5], [Number.MAX_SAFE_INTEGER + 1], ['100'], [null], [{}]])('%p is refused', (value) => {
    expect(validateMessage(request(value))).toBeNull();
    expect(validateMessage({ ...(request(value) as object), type: 'vote', transfer: false })).toBeNull();
  });
});
