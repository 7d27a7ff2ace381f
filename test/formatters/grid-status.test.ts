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

describe('the status table against the overlay (review s44 item 3)', () => {
  it('a super peer (region peer) only its members name is shown as that, not as "no super peer yet"', () => {
    const member = { role: 'member', term: 2, superPeer: 'a1', regionPeer: 'a1', members: 0 };
    const table = formatGridStatus(status([node('a1', { reachable: false, agentVersion: null }), node('a2', { agent: member })], { superPeers: { 'r1/a': ['a1'] }, regionPeers: { r1: ['a1'] } }));
    expect(table).toContain("  super peer of r1/a: a1 (by its members' word)");
    expect(table).toContain("  region peer of r1: a1 (by its super peers' word)");
    expect(table).not.toContain('no super peer yet');
    expect(table).not.toContain('no region peer yet');
  });

  it("an unreachable node's agent is unknown, not \"not installed\"", () => {
    const table = formatGridStatus(status([node('a1', { reachable: false, agentVersion: null }), node('a2', { agentVersion: null })]));
    expect(agentColumn(table, 'a1')).toMatch(/in-sync +\? /);
    expect(agentColumn(table, 'a2')).toContain('not installed');
  });
});
