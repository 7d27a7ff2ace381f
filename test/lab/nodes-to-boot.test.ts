import { nodesToBoot, withRecordedReadiness } from '../../src/lab/nodes-to-boot.js';
import type { NodeState } from '../../src/lab/types.js';

const node = (name: string, extra: Partial<NodeState> = {}): NodeState => ({
  index: 0, name, address: '10.231.0.11', region: 'region-1', subgrid: 'subgrid-1', netns: `glab-0-${name}`, link: 'glab-0-v0001', cgroup: `glab-0-${name}`, mac: '02:00:00:00:00:01', dir: `/lab/nodes/${name}`, ...extra,
});

describe('which nodes `up` (re)boots', () => {
  const alive = (n: NodeState) => n.pid !== undefined;

  test('a dead node, and a running one that never answered ssh (a failed or interrupted boot)', () => {
    const nodes = [node('node-01', { pid: 10, ready: true }), node('node-02'), node('node-03', { pid: 12, ready: false })];
    expect(nodesToBoot(nodes, alive).map((n) => n.name)).toEqual(['node-02', 'node-03']);
  });

  test('a running node of a lab.json written before `ready` was recorded counts as up where that lab reached phase ready, not where its build stopped', () => {
    expect(nodesToBoot(withRecordedReadiness({ phase: 'ready', nodes: [node('node-01', { pid: 10 })] }).nodes, alive)).toEqual([]);
    expect(nodesToBoot(withRecordedReadiness({ phase: 'building', nodes: [node('node-01', { pid: 10 }), node('node-02', { pid: 11, ready: true })] }).nodes, alive).map((n) => n.name)).toEqual(['node-01']);
  });
});
