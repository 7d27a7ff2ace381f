import { hostNumber, labPrefix, planLab, shapeProblems, spread } from '../../src/lab/plan.js';

describe('spread', () => {
  test('sizes differ by at most one, larger first, and add up', () => {
    expect(spread(10, 3)).toEqual([4, 3, 3]);
    expect(spread(6, 6)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(spread(50, 5)).toEqual([10, 10, 10, 10, 10]);
    for (let t = 1; t < 60; t++) for (let b = 1; b <= t; b++) {
      const s = spread(t, b);
      expect(s.reduce((a, x) => a + x, 0)).toBe(t);
      expect(Math.max(...s) - Math.min(...s)).toBeLessThanOrEqual(1);
    }
  });
});

describe('planLab', () => {
  const shape = { kind: 'container' as const, nodes: 6, subgrids: 3, regions: 2 };

  test('first node is .11 in slot 0, bridge is .1, as in the examples', () => {
    const p = planLab(shape, 0);
    expect(p.subnet).toBe('10.231.0.0/20');
    expect(p.bridge).toEqual({ name: 'glab-0-br', address: '10.231.0.1' });
    expect(p.nodes[0]).toMatchObject({ name: 'node-01', address: '10.231.0.11', netns: 'glab-0-node-01', link: 'glab-0-v0001', cgroup: 'glab-0-node-01' });
  });

  test('regions get sub-grids and sub-grids get nodes evenly, each sub-grid its own multicast group', () => {
    const p = planLab(shape, 0);
    expect(p.regions.map((r) => r.subgrids)).toEqual([['subgrid-1', 'subgrid-2'], ['subgrid-3']]);
    expect(p.subgrids.map((s) => s.nodes.length)).toEqual([2, 2, 2]);
    expect(new Set(p.subgrids.map((s) => s.multicast)).size).toBe(3);
    expect(p.subgrids[0]!.multicast).toBe('239.192.0.1:7947');
    expect(p.nodes.filter((n) => n.region === 'region-2').map((n) => n.name)).toEqual(['node-05', 'node-06']);
  });

  test('slots never overlap: distinct /20s, prefixes and multicast groups', () => {
    const a = planLab(shape, 0);
    const b = planLab(shape, 1);
    expect(b.subnet).toBe('10.231.16.0/20');
    expect(b.nodes[0]!.address).toBe('10.231.16.11');
    expect(b.prefix).toBe('glab-1-');
    expect(b.subgrids[0]!.multicast).toBe('239.192.1.1:7947');
    expect(a.nodes.map((n) => n.mac)).not.toEqual(b.nodes.map((n) => n.mac));
  });

  test('500 hosts: unique addresses inside the /20 that avoid .0 and .255, link names fit 15 bytes, DNS-label names', () => {
    const p = planLab({ kind: 'netns', nodes: 500, subgrids: 10, regions: 3 }, 15);
    const addrs = p.nodes.map((n) => n.address);
    expect(new Set(addrs).size).toBe(500);
    for (const a of addrs) {
      const [, , third, last] = a.split('.').map(Number);
      expect(third! >= 15 * 16 && third! < 16 * 16).toBe(true);
      expect(last).not.toBe(0);
      expect(last).not.toBe(255);
    }
    for (const n of p.nodes) {
      expect(n.link.length).toBeLessThanOrEqual(15);
      expect(n.name).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
      expect(n.netns.startsWith(labPrefix(15))).toBe(true);
    }
    expect(p.bridge.name.length).toBeLessThanOrEqual(15);
    expect(p.nodes[499]!.name).toBe('node-500');
    expect(p.nodes[0]!.name).toBe('node-001');
  });

  test('hostNumber skips .0 and .255', () => {
    const hs = Array.from({ length: 600 }, (_, i) => hostNumber(i + 1));
    expect(hs[0]).toBe(11);
    expect(hs.some((h) => h % 256 === 0 || h % 256 === 255)).toBe(false);
    expect(new Set(hs).size).toBe(600);
  });

  test('impossible shapes are refused with a message naming the flag', () => {
    expect(shapeProblems({ kind: 'container', nodes: 2, subgrids: 3, regions: 1 })[0]).toMatch(/--nodes \(2\) must be at least --subgrids \(3\)/);
    expect(shapeProblems({ kind: 'container', nodes: 4, subgrids: 1, regions: 2 })[0]).toMatch(/--subgrids/);
    expect(shapeProblems({ kind: 'vm', nodes: 50, subgrids: 1, regions: 1 })[0]).toMatch(/at most/);
    expect(shapeProblems({ kind: 'netns', nodes: 0, subgrids: 1, regions: 1 })[0]).toMatch(/--nodes/);
    expect(() => planLab({ kind: 'netns', nodes: 1, subgrids: 2, regions: 1 }, 0)).toThrow(RangeError);
    expect(() => planLab(shape, 16)).toThrow(RangeError);
  });

  // Each sub-grid's multicast group is 239.192.SLOT.S: a netns lab with 300 sub-grids wrote 239.192.0.300
  // into its topology, after building every host.
  test('more sub-grids than multicast groups are refused, naming the limit', () => {
    expect(shapeProblems({ kind: 'netns', nodes: 300, subgrids: 256, regions: 1 })).toEqual(['--subgrids supports at most 255 sub-grids (got 256): each gets its own multicast group 239.192.SLOT.N']);
    expect(shapeProblems({ kind: 'netns', nodes: 300, subgrids: 255, regions: 1 })).toEqual([]);
    expect(planLab({ kind: 'netns', nodes: 255, subgrids: 255, regions: 1 }, 1).subgrids.at(-1)!.multicast).toBe('239.192.1.255:7947');
  });
});
