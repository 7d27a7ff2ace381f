import { rolling } from '../../src/overlay/batch-strategy.js';
import { peersNow } from '../../src/overlay/super-peers-now.js';
import type { AgentAnswer } from '../../src/overlay/convergence.js';

const answer = (node: string, subgrid: string, role: string, regionRole?: string): AgentAnswer => ({ node, region: 'r1', subgrid, view: { role, ...(regionRole ? { regionRole } : {}), term: 1, superPeer: null, regionPeer: null, members: 0 } });

/** The same answer, with the mirrors its agent lists. */
const mirrors = (a: AgentAnswer, names: string[]): AgentAnswer => ({ ...a, view: { ...a.view, mirrors: names } });

/** The same answer, following `superPeer`, with the liveness its registry holds (a super peer's or a mirror's). */
const hearing = (a: AgentAnswer, superPeer: string, liveness?: Record<string, 'alive' | 'suspect' | 'dead'>): AgentAnswer => ({ ...a, view: { ...a.view, superPeer, ...(liveness ? { liveness } : {}) } });

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
    const answersBut = (down: string) => [mirrors(answer('a1', 's1', 'super-peer', 'region-peer'), ['a2', 'a3', 'a4', 'a5']), ...['a2', 'a3', 'a4', 'a5'].map((n) => answer(n, 's1', 'mirror')), answer('a6', 's1', 'member')].filter((a) => a.node !== down);
    const rollout = { maxUnavailable: { count: 4 }, healthTimeoutMs: 1 };
    const sizesWith = (down: string) => ({ grid: 6, subgrids: new Map([['r1/s1', 6]]), down: new Map([['r1/s1', 1]]), downNodes: new Set([down]) });
    const changedBut = (down: string) => ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'].filter((h) => h !== down).map((host) => ({ host, region: 'r1', subgrid: 's1' }));
    // a6 down (not a voter): 2 of 5 voters at a time, 3 nodes at a time (4 minus a6).
    expect(rolling(rollout, sizesWith('a6'), peersNow(answersBut('a6'))).batches(changedBut('a6')).map((b) => b.hosts)).toEqual([['a2', 'a3'], ['a4', 'a5'], ['a1']]);
    // a5 down (a voter): 1 voter at a time; a6, which does not vote, goes along.
    expect(rolling(rollout, sizesWith('a5'), peersNow(answersBut('a5'))).batches(changedBut('a5')).map((b) => b.hosts)).toEqual([['a2', 'a6'], ['a3'], ['a4'], ['a1']]);
  });

  it('the re-cut after a gate takes the voters the agents name then', () => {
    // Before: a1 and its 2 mirrors vote; after the first gate, autopilot has promoted a4 and a5.
    const rollout = { maxUnavailable: { count: 4 }, healthTimeoutMs: 1 };
    const sizes = { grid: 6, subgrids: new Map([['r1/s1', 6]]) };
    // Every agent of the run answers (the gate saw to it).
    const others = ['a2', 'a3', 'a4', 'a5', 'a6'].map((n) => answer(n, 's1', 'member'));
    const strategy = rolling(rollout, sizes, peersNow([mirrors(answer('a1', 's1', 'super-peer', 'region-peer'), ['a2', 'a3']), ...others]));
    const changed = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'].map((host) => ({ host, region: 'r1', subgrid: 's1' }));
    expect(strategy.batches(changed).map((b) => b.hosts)).toEqual([['a2', 'a4', 'a5', 'a6'], ['a3'], ['a1']]);
    const now = peersNow([mirrors(answer('a1', 's1', 'super-peer', 'region-peer'), ['a2', 'a3', 'a4', 'a5']), ...others]);
    expect(strategy.batches(changed, now).map((b) => b.hosts)).toEqual([['a2', 'a3', 'a6'], ['a4', 'a5'], ['a1']]);
  });

  it('a voter outside the run (--limit) that its super peer hears as dead or suspect counts as a voter down', () => {
    // s1: a1 super peer, a2..a5 its mirrors (5 voters); the run holds a1..a4 only, and a5 is dead:
    // 5 - 3 - 1 = 1 voter at a time, not 2 (which would leave a1 hearing 2 of 5).
    const rollout = { maxUnavailable: { count: 4 }, healthTimeoutMs: 1 };
    const sizes = { grid: 5, subgrids: new Map([['r1/s1', 5]]), down: new Map([['r1/s1', 0]]), downNodes: new Set<string>() };
    const changed = ['a1', 'a2', 'a3', 'a4'].map((host) => ({ host, region: 'r1', subgrid: 's1' }));
    const asked = (a5: 'alive' | 'suspect' | 'dead') => [
      hearing(mirrors(answer('a1', 's1', 'super-peer', 'region-peer'), ['a2', 'a3', 'a4', 'a5']), 'a1', { a1: 'alive', a2: 'alive', a3: 'alive', a4: 'alive', a5 }),
      ...['a2', 'a3', 'a4'].map((n) => hearing(mirrors(answer(n, 's1', 'mirror'), ['a2', 'a3', 'a4', 'a5']), 'a1')),
    ];
    expect(rolling(rollout, sizes, peersNow(asked('alive'))).batches(changed).map((b) => b.hosts)).toEqual([['a2', 'a3'], ['a4'], ['a1']]);
    expect(rolling(rollout, sizes, peersNow(asked('dead'))).batches(changed).map((b) => b.hosts)).toEqual([['a2'], ['a3'], ['a4'], ['a1']]);
    expect(rolling(rollout, sizes, peersNow(asked('suspect'))).batches(changed).map((b) => b.hosts)).toEqual([['a2'], ['a3'], ['a4'], ['a1']]);
  });

  it('where the super peer is outside the run, the voters are those the reached agents list, and a voter their registry lacks counts as down', () => {
    // s1 of 5 that may vote: the topology implies 5 voters (2 at a time). a3, outside the run, is the
    // super peer; the mirror a1 lists a1, a2 and a4 beside it (a5, dead, was dropped): 4 voters, 1 at a time.
    const rollout = { maxUnavailable: { count: 4 }, healthTimeoutMs: 1 };
    const sizes = { grid: 5, subgrids: new Map([['r1/s1', 5]]), voters: new Map([['r1/s1', { count: 5, down: 0 }]]) };
    const changed = ['a1', 'a2'].map((host) => ({ host, region: 'r1', subgrid: 's1' }));
    const registry = { a1: 'alive', a2: 'alive', a3: 'alive', a4: 'alive' } as const;
    const peers = peersNow([hearing(mirrors(answer('a1', 's1', 'mirror'), ['a1', 'a2', 'a4']), 'a3', registry), hearing(mirrors(answer('a2', 's1', 'mirror'), ['a1', 'a2', 'a4']), 'a3')]);
    expect(Object.fromEntries(peers.voters)).toEqual({ 'r1/s1': ['a3', 'a1', 'a2', 'a4'] });
    expect(rolling(rollout, sizes, peers).batches(changed).map((b) => b.hosts)).toEqual([['a1'], ['a2']]);
  });

  it('puts the planned first super peer of a sub-grid the run starts fresh at the front of the first wave; a running sub-grid keeps its super peer last', () => {
    // s1 runs (a1 its super peer); s2 is new, and the plan elects n6 its first super peer: deployed after
    // n4 and n5, n6 would find n4 standing after its 10 s wait, and lose the first election.
    const election = { subgrids: [{ region: 'r1', subgrid: 's2', status: 'initial' as const, superPeer: 'n6', ranking: [], unknown: [] }], regions: [] };
    const rollout = { maxUnavailable: { count: 1 }, healthTimeoutMs: 1 };
    const sizes = { grid: 6, subgrids: new Map([['r1/s1', 3], ['r1/s2', 3]]) };
    const peers = peersNow([mirrors(answer('a1', 's1', 'super-peer', 'region-peer'), ['a2', 'a3']), answer('a2', 's1', 'mirror'), answer('a3', 's1', 'mirror')]);
    const changed = [...['a1', 'a2', 'a3'].map((host) => ({ host, region: 'r1', subgrid: 's1' })), ...['n4', 'n5', 'n6'].map((host) => ({ host, region: 'r1', subgrid: 's2' }))];
    expect(rolling(rollout, sizes, peers, new Map(), election).batches(changed).map((b) => b.hosts)).toEqual([['n6'], ['a2'], ['a3'], ['n4'], ['n5'], ['a1']]);
    // With a larger budget the planned super peer still leads its sub-grid.
    const wide = { maxUnavailable: { count: 3 }, healthTimeoutMs: 1 };
    expect(rolling(wide, sizes, peers, new Map(), election).batches(changed).map((b) => b.hosts)).toEqual([['n6', 'a2'], ['a3', 'n4'], ['n5'], ['a1']]);
  });

  it('a node renamed in this run is judged by the name its agent still votes under (the rename is applied in its batch)', () => {
    // s1: a1 super peer, a2 and a3 its mirrors (3 voters: 1 at a time), maxUnavailable 2. The
    // topology renamed a3 to a3b: its agent still runs, and is listed, as a3 until its batch applies the rename.
    const rollout = { maxUnavailable: { count: 2 }, healthTimeoutMs: 1 };
    const sizes = { grid: 3, subgrids: new Map([['r1/s1', 3]]), down: new Map([['r1/s1', 0]]), downNodes: new Set<string>() };
    const changed = ['a1', 'a2', 'a3b'].map((host) => ({ host, region: 'r1', subgrid: 's1' }));
    const registry = { a1: 'alive', a2: 'alive', a3: 'alive' } as const;
    const asked = peersNow([hearing(mirrors(answer('a1', 's1', 'super-peer', 'region-peer'), ['a2', 'a3']), 'a1', registry), hearing(mirrors(answer('a2', 's1', 'mirror'), ['a2', 'a3']), 'a1'), hearing(mirrors(answer('a3b', 's1', 'mirror'), ['a2', 'a3']), 'a1')]);
    expect(rolling(rollout, sizes, asked, new Map([['a3', 'a3b']])).batches(changed).map((b) => b.hosts)).toEqual([['a2'], ['a3b'], ['a1']]);
  });
});
