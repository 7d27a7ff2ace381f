import { gridStateStale } from '../../src/lab/stale-grid-state.js';
import type { SubgridPlan } from '../../src/lab/types.js';

const subgrids: SubgridPlan[] = [
  { name: 'subgrid-1', region: 'region-1', multicast: '239.192.0.1', nodes: ['node-01', 'node-02'] },
  { name: 'subgrid-2', region: 'region-1', multicast: '239.192.0.2', nodes: ['node-03', 'node-04'] },
];
const all = new Set(['node-01', 'node-02', 'node-03', 'node-04']);

describe('grid state after `up` rebuilds nodes', () => {
  test('stale when every node of a sub-grid that had been up is rebuilt (after a reboot: all of them)', () => {
    expect(gridStateStale(subgrids, all, all)).toBe(true);
    expect(gridStateStale(subgrids, all, new Set(['node-03', 'node-04']))).toBe(true);
  });

  test('kept when each sub-grid keeps a running node: its agents still hold the overlay', () => {
    expect(gridStateStale(subgrids, all, new Set(['node-02', 'node-04']))).toBe(false);
  });

  test('kept when the rebuilt nodes were never up (a first up, or nodes lab grow adds)', () => {
    expect(gridStateStale(subgrids, new Set(), all)).toBe(false);
    expect(gridStateStale([...subgrids, { name: 'subgrid-3', region: 'region-1', multicast: '239.192.0.3', nodes: ['node-05'] }], all, new Set(['node-05']))).toBe(false);
  });
});
