import { leaderGaps, type LeaderSample } from '../e2e/support/leader-gaps.js';

/** The e2e's "never without a super peer" check: a starved sampler is not a gap, a change of leader is. */
describe('leaderGaps', () => {
  const subgrids = { a: ['n1', 'n2'] };
  const every = (node: string, from: number, to: number, role: string, term: number, step = 100): LeaderSample[] => {
    const out: LeaderSample[] = [];
    for (let at = from; at < to; at += step) out.push({ node, at, role, term });
    return out;
  };

  it('finds none while a leader is sampled in every window', () => {
    expect(leaderGaps([...every('n1', 0, 2000, 'leader', 3), ...every('n2', 0, 2000, 'member', 3)], subgrids, 0, 2000)).toEqual([]);
  });

  it('forgives a silent sampler when the same node led in the same term on both sides', () => {
    const samples = [...every('n1', 0, 400, 'leader', 3), ...every('n1', 1200, 2000, 'leader', 3)];
    expect(leaderGaps(samples, subgrids, 0, 2000)).toEqual([]);
  });

  it('counts a silence across which the term changed, the leader changed, or nobody led after', () => {
    const newTerm = [...every('n1', 0, 400, 'leader', 3), ...every('n1', 1200, 2000, 'leader', 4)];
    expect(leaderGaps(newTerm, subgrids, 0, 2000)).toEqual([expect.stringMatching(/^a: no leader in \[\+500, \+1000\) ms \(leader before: n1 term 3 at \+300; after: n1 term 4 at \+1200\)$/)]);
    const newLeader = [...every('n1', 0, 400, 'leader', 3), ...every('n2', 1200, 2000, 'leader', 3)];
    expect(leaderGaps(newLeader, subgrids, 0, 2000)).toHaveLength(1);
    const none = every('n1', 0, 400, 'leader', 3);
    expect(leaderGaps(none, subgrids, 0, 1500)).toHaveLength(2);
  });

  it('counts windows where the members answered but none led', () => {
    const samples = [...every('n1', 0, 500, 'leader', 3), ...every('n1', 500, 1000, 'candidate', 4), ...every('n1', 1000, 1500, 'leader', 4)];
    expect(leaderGaps(samples, subgrids, 0, 1500)).toHaveLength(1);
  });

  it('does not forgive samples without a term', () => {
    const samples: LeaderSample[] = [{ node: 'n1', at: 100, role: 'leader' }, { node: 'n1', at: 1200, role: 'leader' }];
    expect(leaderGaps(samples, subgrids, 0, 1500)).toHaveLength(1);
  });
});
