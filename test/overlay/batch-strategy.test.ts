import { rolling } from '../../src/overlay/batch-strategy.js';
import { peersNow } from '../../src/overlay/super-peers-now.js';
import type { AgentAnswer } from '../../src/overlay/convergence.js';

const answer = (node: string, subgrid: string, role: string, regionRole?: string): AgentAnswer => ({ node, region: 'r1', subgrid, view: { role, ...(regionRole ? { regionRole } : {}), term: 1, superPeer: null, regionPeer: null, members: 0 } });

/** The same answer, with the mirrors its agent lists. */
const mirrors = (a: AgentAnswer, names: string[]): AgentAnswer => ({ ...a, view: { ...a.view, mirrors: names } });

describe('the rolling strategy and the peers the agents name (review N3)', () => {
  it('peersNow: the super peers, and among them the region peers', () => {
    const peers = peersNow([answer('a1', 's1', 'super-peer', 'region-peer'), answer('a2', 's1', 'mirror'), answer('b1', 's2', 'super-peer')]);
    expect([...peers.superPeers]).toEqual(['a1', 'b1']);
    expect([...peers.regionPeers]).toEqual(['a1']);
  });

  it('restarts the region peer after the other super peers of its region, one per batch', () => {
    // Sub-grids of 3 (a third node each, unchanged): the voters of a sub-grid of 2 would each go alone.
    const sizes = { grid: 6, subgrids: new Map([['r1/s1', 3], ['r1/s2', 3]]) };
    const strategy = rolling({ maxUnavailable: { count: 4 }, healthTimeoutMs: 1 }, sizes, peersNow([answer('a1', 's1', 'super-peer', 'region-peer'), answer('b1', 's2', 'super-peer')]));
    const changed = ['a1', 'a2', 'b1', 'b2'].map((host) => ({ host, region: 'r1', subgrid: host.startsWith('a') ? 's1' : 's2' }));
    expect(strategy.batches(changed).map((b) => b.hosts)).toEqual([['a2', 'b2'], ['b1'], ['a1']]);
  });

  it('peersNow: the voters of each sub-grid, as its super peer lists them (itself and its mirrors)', () => {
    const peers = peersNow([mirrors(answer('a1', 's1', 'super-peer'), ['a2', 'a3']), mirrors(answer('a2', 's1', 'mirror'), ['a3']), answer('b1', 's2', 'super-peer'), answer('b2', 's2', 'member')]);
    expect(Object.fromEntries(peers.voters)).toEqual({ 'r1/s1': ['a1', 'a2', 'a3'] });
  });

  it('cuts by the voters the agents name, a node down counting as a voter down only if its super peer lists it', () => {
    // s1: a1 super peer, a2..a5 its mirrors (5 voters), a6 a member.
    const answers = [mirrors(answer('a1', 's1', 'super-peer', 'region-peer'), ['a2', 'a3', 'a4', 'a5'])];
    const rollout = { maxUnavailable: { count: 4 }, healthTimeoutMs: 1 };
    const sizesWith = (down: string) => ({ grid: 6, subgrids: new Map([['r1/s1', 6]]), down: new Map([['r1/s1', 1]]), downNodes: new Set([down]) });
    const changedBut = (down: string) => ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'].filter((h) => h !== down).map((host) => ({ host, region: 'r1', subgrid: 's1' }));
    // a6 down (not a voter): 2 of 5 voters at a time, 3 nodes at a time (4 minus a6).
    expect(rolling(rollout, sizesWith('a6'), peersNow(answers)).batches(changedBut('a6')).map((b) => b.hosts)).toEqual([['a2', 'a3'], ['a4', 'a5'], ['a1']]);
    // a5 down (a voter): 1 voter at a time; a6, which does not vote, goes along.
    expect(rolling(rollout, sizesWith('a5'), peersNow(answers)).batches(changedBut('a5')).map((b) => b.hosts)).toEqual([['a2', 'a6'], ['a3'], ['a4'], ['a1']]);
  });

  it('the re-cut after a gate takes the voters the agents name then', () => {
    // Before: a1 and its 2 mirrors vote; after the first gate, autopilot has promoted a4 and a5.
    const rollout = { maxUnavailable: { count: 4 }, healthTimeoutMs: 1 };
    const sizes = { grid: 6, subgrids: new Map([['r1/s1', 6]]) };
    const strategy = rolling(rollout, sizes, peersNow([mirrors(answer('a1', 's1', 'super-peer', 'region-peer'), ['a2', 'a3'])]));
    const changed = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'].map((host) => ({ host, region: 'r1', subgrid: 's1' }));
    expect(strategy.batches(changed).map((b) => b.hosts)).toEqual([['a2', 'a4', 'a5', 'a6'], ['a3'], ['a1']]);
    const now = peersNow([mirrors(answer('a1', 's1', 'super-peer', 'region-peer'), ['a2', 'a3', 'a4', 'a5'])]);
    expect(strategy.batches(changed, now).map((b) => b.hosts)).toEqual([['a2', 'a3', 'a6'], ['a4', 'a5'], ['a1']]);
  });
});
