import { growLab, growthProblems, planLab } from '../../src/lab/plan.js';
import { regionRecords } from '../../src/lab/dns.js';
import { renderTopology } from '../../src/lab/topology.js';

describe('growing a lab plan', () => {
  const base = planLab({ kind: 'container', nodes: 6, subgrids: 2, regions: 1 }, 3);

  test('a new sub-grid: every existing node, sub-grid and region unchanged; the new nodes fill the new sub-grid', () => {
    const grown = growLab(base, { kind: 'container', nodes: 9, subgrids: 3, regions: 1 });
    expect(grown.nodes.slice(0, 6)).toEqual(base.nodes);
    expect(grown.subgrids.slice(0, 2)).toEqual(base.subgrids);
    expect(grown.subgrids[2]).toEqual({ name: 'subgrid-3', region: 'region-1', multicast: '239.192.3.3:7947', nodes: ['node-07', 'node-08', 'node-09'] });
    expect(grown.regions).toEqual([{ ...base.regions[0], subgrids: ['subgrid-1', 'subgrid-2', 'subgrid-3'] }]);
    expect(grown.nodes.slice(6).map((n) => [n.name, n.address, n.subgrid])).toEqual([
      ['node-07', '10.231.48.17', 'subgrid-3'],
      ['node-08', '10.231.48.18', 'subgrid-3'],
      ['node-09', '10.231.48.19', 'subgrid-3'],
    ]);
    // Growing step by step gives the same lab as growing at once, and the same names as a fresh plan where they agree.
    expect(growLab(growLab(base, { kind: 'container', nodes: 7, subgrids: 3, regions: 1 }), { kind: 'container', nodes: 9, subgrids: 3, regions: 1 }).subgrids[2]!.nodes).toEqual(['node-07', 'node-08', 'node-09']);
    expect(grown.bridge).toEqual(base.bridge);
    expect(grown.shape).toEqual({ kind: 'container', nodes: 9, subgrids: 3, regions: 1 });
  });

  test('one node more: it joins the smallest sub-grid', () => {
    const uneven = planLab({ kind: 'container', nodes: 5, subgrids: 2, regions: 1 }, 0);
    const grown = growLab(uneven, { kind: 'container', nodes: 6, subgrids: 2, regions: 1 });
    expect(grown.nodes[5]).toMatchObject({ name: 'node-06', subgrid: 'subgrid-2', region: 'region-1' });
    expect(grown.subgrids[1]!.nodes).toEqual([...uneven.subgrids[1]!.nodes, 'node-06']);
  });

  test('a new region gets the new sub-grids, and a name in the lab DNS that resolves to its nodes only', () => {
    const grown = growLab(base, { kind: 'container', nodes: 10, subgrids: 4, regions: 2 });
    expect(grown.regions[1]).toEqual({ name: 'region-2', regionPeerName: 'region-2.lab.grid.internal', subgrids: ['subgrid-3', 'subgrid-4'] });
    expect(grown.subgrids.slice(2).map((s) => s.nodes)).toEqual([
      ['node-07', 'node-08'],
      ['node-09', 'node-10'],
    ]);
    const records = regionRecords(grown).trim().split('\n');
    expect(records.filter((line) => line.endsWith('region-2.lab.grid.internal'))).toEqual(grown.nodes.slice(6).map((n) => `${n.address}\tregion-2.lab.grid.internal`));
    expect(records.filter((line) => line.endsWith('region-1.lab.grid.internal'))).toHaveLength(6);
    // The grown topology lists the old nodes exactly as before, in the same places.
    const files = { identity: '/k', knownHosts: '/h' };
    const before = renderTopology(base, files, false);
    const after = renderTopology(grown, files, false);
    for (const line of before.split('\n').filter((l) => l.includes('{ name: node-'))) expect(after).toContain(line);
  });

  test('refuses to shrink, to change kind, or to leave a new region or sub-grid empty', () => {
    expect(growthProblems(base, { kind: 'container', nodes: 5, subgrids: 2, regions: 1 })[0]).toMatch(/--nodes 5 is fewer than the lab has \(6\)/);
    expect(growthProblems(base, { kind: 'netns', nodes: 8, subgrids: 2, regions: 1 })[0]).toMatch(/container nodes/);
    expect(growthProblems(base, { kind: 'container', nodes: 8, subgrids: 2, regions: 2 })).toEqual(['each new region needs a new sub-grid: --subgrids must be at least 3']);
    expect(growthProblems(base, { kind: 'container', nodes: 7, subgrids: 4, regions: 1 })).toEqual(['each new sub-grid needs a new node: --nodes must be at least 8']);
    expect(() => growLab(base, { kind: 'container', nodes: 7, subgrids: 4, regions: 1 })).toThrow(RangeError);
    expect(growthProblems(base, { kind: 'container', nodes: 6, subgrids: 2, regions: 1 })).toEqual([]);
  });

  test('refuses to grow past the sub-grids that have a multicast group', () => {
    const netns = planLab({ kind: 'netns', nodes: 10, subgrids: 2, regions: 1 }, 0);
    expect(growthProblems(netns, { kind: 'netns', nodes: 400, subgrids: 256, regions: 1 })).toEqual(['--subgrids supports at most 255 sub-grids (got 256): each gets its own multicast group 239.192.SLOT.N']);
    expect(growthProblems(netns, { kind: 'netns', nodes: 400, subgrids: 255, regions: 1 })).toEqual([]);
  });
});
