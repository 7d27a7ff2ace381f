import { rolloutBatches, subgridBudget, unavailableBudget } from '../../src/overlay/rolling-batches.js';

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

  it('a larger budget takes several sub-grids at once, but never a whole sub-grid', () => {
    const hosts = [h('a1', 'a', true), h('a2', 'a'), h('a3', 'a'), h('b1', 'b'), h('b2', 'b', true), h('b3', 'b')];
    expect(rolloutBatches(hosts, { maxUnavailable: { count: 4 }, healthTimeoutMs: 1 }, sizes(6, { a: 3, b: 3 }))).toEqual([['a2', 'a3', 'b1', 'b3'], ['a1', 'b2']]);
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
    expect(rolloutBatches(hosts, { maxUnavailable: { count: 10 }, healthTimeoutMs: 1 }, sizes(8, { a: 2, b: 2, c: 2, d: 2 }))).toEqual([['a2', 'b2', 'c2', 'd2'], ['b1', 'd1'], ['c1'], ['a1']]);
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
    expect(() => rolloutBatches([h('a1', 'a', true), h('a2', 'a')], { maxUnavailable: { count: 1 }, healthTimeoutMs: 1 }, sizes(3, { a: 3 }, { a: 1 }))).toThrow('a: no node may restart');
  });
});
