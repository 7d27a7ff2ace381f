import { rolloutBatches, subgridBudget, unavailableBudget, voterBudget } from '../../src/overlay/rolling-batches.js';

/** A host of sub-grid `subgrid`, alone in a region of its own unless `region` says otherwise. */
const h = (host: string, subgrid: string, superPeer = false, region = `r-${subgrid}`, regionPeer = false) => ({ host, region, subgrid, superPeer, regionPeer });
const sizes = (grid: number, subgrids: Record<string, number>, down: Record<string, number> = {}) => ({ grid, subgrids: new Map(Object.entries(subgrids)), down: new Map(Object.entries(down)) });

describe('rolling apply batches', () => {
  it('a budget is a count or a percentage rounded down, at least 1', () => {
    expect(unavailableBudget({ count: 2 }, 10)).toBe(2);
    expect(unavailableBudget({ percent: 25 }, 10)).toBe(2);
    expect(unavailableBudget({ percent: 10 }, 6)).toBe(1);
    expect(unavailableBudget({ count: 50 }, 3)).toBe(3);
  });

  it('ordinary nodes first, super peers last, one per sub-grid at a time with maxUnavailable 1', () => {
    const hosts = [h('a1', 'a', true), h('a2', 'a'), h('a3', 'a'), h('b1', 'b'), h('b2', 'b', true), h('b3', 'b')];
    expect(rolloutBatches(hosts, { maxUnavailable: { count: 1 }, healthTimeoutMs: 1 }, sizes(6, { a: 3, b: 3 }))).toEqual([['a2'], ['a3'], ['b1'], ['b3'], ['a1'], ['b2']]);
  });

  it('a larger budget takes several sub-grids at once, but never a whole sub-grid, nor more voters than its quorum spares', () => {
    const hosts = [h('a1', 'a', true), h('a2', 'a'), h('a3', 'a'), h('b1', 'b'), h('b2', 'b', true), h('b3', 'b')];
    // 3 voters each (no word from the agents: every node votes): one restart at a time keeps 2 of 3.
    expect(rolloutBatches(hosts, { maxUnavailable: { count: 4 }, healthTimeoutMs: 1 }, sizes(6, { a: 3, b: 3 }))).toEqual([['a2', 'b1'], ['a3', 'b3'], ['a1', 'b2']]);
    // 50 % of 6 overall is 3; 50 % of a sub-grid of 3 is 1.
    expect(rolloutBatches(hosts, { maxUnavailable: { percent: 50 }, healthTimeoutMs: 1 }, sizes(6, { a: 3, b: 3 }))).toEqual([['a2', 'b1'], ['a3', 'b3'], ['a1', 'b2']]);
  });

  it('a sub-grid of two still keeps one node serving', () => {
    expect(rolloutBatches([h('p1', 'p', true), h('p2', 'p')], { maxUnavailable: { count: 5 }, healthTimeoutMs: 1 }, sizes(2, { p: 2 }))).toEqual([['p2'], ['p1']]);
  });

  it('restarts the super peers of one region one batch at a time, its region peer last (maxUnavailable 1)', () => {
    // Region r holds sub-grids a, b and c; a1 is its region peer, first in topology order.
    const hosts = [h('a1', 'a', true, 'r', true), h('a2', 'a', false, 'r'), h('b1', 'b', true, 'r'), h('b2', 'b', false, 'r'), h('c1', 'c', true, 'r'), h('c2', 'c', false, 'r')];
    expect(rolloutBatches(hosts, { maxUnavailable: { count: 1 }, healthTimeoutMs: 1 }, sizes(6, { a: 2, b: 2, c: 2 }))).toEqual([['a2'], ['b2'], ['c2'], ['b1'], ['c1'], ['a1']]);
  });

  it('with a larger budget, still one super peer per region per batch, and the region peer after the others of its region', () => {
    const hosts = [h('a1', 'a', true, 'r', true), h('a2', 'a', false, 'r'), h('b1', 'b', true, 'r'), h('b2', 'b', false, 'r'), h('c1', 'c', true, 'r'), h('c2', 'c', false, 'r'), h('d1', 'd', true, 's', true), h('d2', 'd', false, 's')];
    // Sub-grids of 3 (a third node each, unchanged): a sub-grid of 2 voters would restart each voter alone.
    expect(rolloutBatches(hosts, { maxUnavailable: { count: 10 }, healthTimeoutMs: 1 }, sizes(12, { a: 3, b: 3, c: 3, d: 3 }))).toEqual([['a2', 'b2', 'c2', 'd2'], ['b1', 'd1'], ['c1'], ['a1']]);
  });

  it('a super peer that must restart alone keeps its region for itself: the region peer never goes before it', () => {
    // Region r2: x1 (sub-grid x of 3). Region r1: a1 (sub-grid a of two voters, so a1 restarts alone)
    // and c1, r1's region peer. Were r1 not held for a1 while x1 fills the batch, c1 would restart
    // first and r1's region role would move twice, once to a1 still on the old version.
    const hosts = [h('x1', 'x', true, 'r2'), h('a1', 'a', true, 'r1'), h('c1', 'c', true, 'r1', true)];
    const rollout = { maxUnavailable: { count: 3 }, healthTimeoutMs: 1 };
    expect(rolloutBatches(hosts, rollout, sizes(8, { x: 3, a: 2, c: 3 }))).toEqual([['x1'], ['a1'], ['c1']]);
  });

  it('a sub-grid budget counts its nodes already down, and is 0 when none may restart', () => {
    // Review B3: 3 voters, one host down, maxUnavailable 1: a restart would leave 1 of 3.
    expect(subgridBudget({ count: 1 }, 3, 1)).toBe(0);
    expect(subgridBudget({ count: 1 }, 3, 0)).toBe(1);
    expect(subgridBudget({ count: 2 }, 5, 1)).toBe(1);
    expect(subgridBudget({ count: 5 }, 2, 0)).toBe(1);
    expect(subgridBudget({ count: 5 }, 2, 1)).toBe(0);
    // Review N4: a sub-grid of one can only restart its only node (the run warns).
    expect(subgridBudget({ count: 1 }, 1, 0)).toBe(1);
  });

  it('a node already down takes its share of the sub-grid budget', () => {
    const hosts = [h('s1', 's', true), h('s2', 's'), h('s3', 's'), h('s4', 's')];
    const rollout = { maxUnavailable: { count: 2 }, healthTimeoutMs: 1 };
    expect(rolloutBatches(hosts, rollout, sizes(5, { s: 5 }))).toEqual([['s2', 's3'], ['s4'], ['s1']]);
    // s5 is down: one at a time.
    expect(rolloutBatches(hosts, rollout, sizes(5, { s: 5 }, { s: 1 }))).toEqual([['s2'], ['s3'], ['s4'], ['s1']]);
  });

  it('refuses to cut batches for a sub-grid whose budget is 0 (the run refuses it before any change)', () => {
    expect(() => rolloutBatches([h('a1', 'a', true), h('a2', 'a')], { maxUnavailable: { count: 1 }, healthTimeoutMs: 1 }, sizes(3, { a: 3 }, { a: 1 }))).toThrow('no node may restart in a (1 already down)');
    // Each blocked sub-grid with its own count down.
    const two = sizes(7, { a: 3, b: 4 }, { a: 1, b: 2 });
    expect(() => rolloutBatches([h('a2', 'a'), h('b2', 'b')], { maxUnavailable: { count: 1 }, healthTimeoutMs: 1 }, two)).toThrow('no node may restart in a (1 already down) nor in b (2 already down)');
  });
});

/** A host of sub-grid `subgrid` (region r-SUBGRID) that the agents name a voter now, or not. */
const v = (host: string, subgrid: string, voter: boolean, superPeer = false) => ({ host, region: `r-${subgrid}`, subgrid, superPeer, voter });
const withVoters = (s: ReturnType<typeof sizes>, voters: Record<string, { count: number; down: number }>) => ({ ...s, voters: new Map(Object.entries(voters)) });

describe('rolling apply batches keep the voters of every sub-grid a quorum', () => {
  it('the voters that may restart at once: all but a quorum (floor(v/2)+1), minus those already down', () => {
    expect([1, 2, 3, 4, 5].map((count) => voterBudget({ count, down: 0 }))).toEqual([0, 0, 1, 1, 2]);
    expect(voterBudget({ count: 5, down: 1 })).toBe(1);
    expect(voterBudget({ count: 3, down: 1 })).toBe(0);
    expect(voterBudget({ count: 3, down: 2 })).toBe(0);
  });

  it('3 voters, maxUnavailable 2: the mirrors restart one per batch (two at once would leave the super peer 1 of 3)', () => {
    const hosts = [v('a1', 'a', true, true), v('a2', 'a', true), v('a3', 'a', true)];
    const rollout = { maxUnavailable: { count: 2 }, healthTimeoutMs: 1 };
    expect(rolloutBatches(hosts, rollout, withVoters(sizes(3, { a: 3 }), { a: { count: 3, down: 0 } }))).toEqual([['a2'], ['a3'], ['a1']]);
  });

  it('5 voters, maxUnavailable 4: at most 2 mirrors per batch, while the members that do not vote go along', () => {
    const hosts = [v('s1', 's', true, true), v('m1', 's', true), v('m2', 's', true), v('m3', 's', true), v('m4', 's', true), v('n1', 's', false), v('n2', 's', false)];
    const rollout = { maxUnavailable: { count: 4 }, healthTimeoutMs: 1 };
    expect(rolloutBatches(hosts, rollout, withVoters(sizes(7, { s: 7 }), { s: { count: 5, down: 0 } }))).toEqual([['m1', 'm2', 'n1', 'n2'], ['m3', 'm4'], ['s1']]);
  });

  it('a voter already down takes its share of the voters that may restart', () => {
    // m4 is down (unreachable) and still a voter: 5 voters tolerate 2 down, so 1 more at a time.
    const hosts = [v('s1', 's', true, true), v('m1', 's', true), v('m2', 's', true), v('m3', 's', true), v('n1', 's', false), v('n2', 's', false)];
    const rollout = { maxUnavailable: { count: 4 }, healthTimeoutMs: 1 };
    expect(rolloutBatches(hosts, rollout, withVoters(sizes(7, { s: 7 }, { s: 1 }), { s: { count: 5, down: 1 } }))).toEqual([['m1', 'n1', 'n2'], ['m2'], ['m3'], ['s1']]);
    // A node down that is not a voter leaves the voters' share whole (the node budget still counts it).
    expect(rolloutBatches(hosts, rollout, withVoters(sizes(7, { s: 7 }, { s: 1 }), { s: { count: 5, down: 0 } }))).toEqual([['m1', 'm2', 'n1'], ['m3', 'n2'], ['s1']]);
  });

  it('a voter of a sub-grid of 2 voters, whose restart no quorum survives, restarts alone in its own batch', () => {
    // p: super peer p1 and mirror p2. q: 3 voters and q4, which does not vote.
    const hosts = [v('q1', 'q', true, true), v('q2', 'q', true), v('q3', 'q', true), v('q4', 'q', false), v('p1', 'p', true, true), v('p2', 'p', true)];
    const rollout = { maxUnavailable: { count: 5 }, healthTimeoutMs: 1 };
    const s = withVoters(sizes(6, { q: 4, p: 2 }), { q: { count: 3, down: 0 }, p: { count: 2, down: 0 } });
    expect(rolloutBatches(hosts, rollout, s)).toEqual([['q2', 'q4'], ['q3'], ['p2'], ['q1'], ['p1']]);
  });

  it('a sub-grid of one node has no quorum to keep: its only node restarts, with the super peers of other regions', () => {
    const hosts = [h('o1', 'o', true), h('a1', 'a', true), h('a2', 'a'), h('a3', 'a')];
    const rollout = { maxUnavailable: { count: 5 }, healthTimeoutMs: 1 };
    expect(rolloutBatches(hosts, rollout, sizes(4, { o: 1, a: 3 }))).toEqual([['a2'], ['a3'], ['o1', 'a1']]);
    expect(rolloutBatches([v('o1', 'o', true, true)], rollout, withVoters(sizes(1, { o: 1 }), { o: { count: 1, down: 0 } }))).toEqual([['o1']]);
  });

  it('with no word from the agents on who votes, every node of a sub-grid counts as a voter', () => {
    const hosts = [h('a1', 'a', true), h('a2', 'a'), h('a3', 'a'), h('a4', 'a')];
    // 4 voters tolerate 1 down; maxUnavailable 3 alone would take a2, a3 and a4 at once.
    expect(rolloutBatches(hosts, { maxUnavailable: { count: 3 }, healthTimeoutMs: 1 }, sizes(4, { a: 4 }))).toEqual([['a2'], ['a3'], ['a4'], ['a1']]);
  });
});
