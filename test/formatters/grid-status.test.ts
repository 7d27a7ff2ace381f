import { formatGridStatus } from '../../src/formatters/grid-status.js';
import type { GridStatus, NodeStatus } from '../../src/status/grid-status.js';

const node = (name: string, extra: Partial<NodeStatus> = {}): NodeStatus => ({ node: name, address: '10.0.0.1', region: 'r1', subgrid: 'a', reachable: true, applied: 'in-sync', agentVersion: '1.0.0', ...extra });
const status = (nodes: NodeStatus[], extra: Partial<GridStatus> = {}): GridStatus => ({ grid: 'g', nodes, reachable: nodes.filter((n) => n.reachable).length, inSync: nodes.length, superPeers: {}, regionPeers: {}, ...extra });
const agentColumn = (table: string, name: string) => table.split('\n').find((l) => l.startsWith(`${name} `))!;

describe('the status table', () => {
  it('an agent that left the grid shows as left, since when (review s44 item 2)', () => {
    const table = formatGridStatus(status([node('n2', { agent: { role: 'left', leftAt: '2026-12-06T08:00:00.000Z', term: 0, superPeer: null, regionPeer: null, members: 0 } })]));
    expect(agentColumn(table, 'n2')).toContain('1.0.0 left (since 2026-12-06T08:00:00.000Z)');
  });
});
