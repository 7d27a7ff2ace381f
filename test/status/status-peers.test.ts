import type { OverlayAgreement } from '../../src/overlay/convergence.js';
import type { NodeStatus } from '../../src/status/grid-status.js';
import { statusPeers } from '../../src/status/status-peers.js';

const node = (name: string, extra: Partial<NodeStatus> = {}): NodeStatus => ({ node: name, address: '10.0.0.1', region: 'r1', subgrid: 'a', reachable: true, applied: 'in-sync', agentVersion: '1.0.0', ...extra });
const agreement = (superPeers: Record<string, string | null>, regionPeers: Record<string, string | null>): OverlayAgreement => ({ converged: true, superPeers, regionPeers, waitingFor: [] });

describe('the super and region peers status shows (review s44 item 3)', () => {
  it('those that answer as such', () => {
    const nodes = [node('a1', { agent: { role: 'super-peer', regionRole: 'region-peer', term: 2, superPeer: 'a1', regionPeer: 'a1', members: 3 } }), node('a2', { agent: { role: 'member', term: 2, superPeer: 'a1', regionPeer: 'a1', members: 0 } })];
    expect(statusPeers(nodes, agreement({ 'r1/a': 'a1' }, { r1: 'a1' }))).toEqual({ superPeers: { 'r1/a': ['a1'] }, regionPeers: { r1: ['a1'] } });
  });

  it('one not asked (--limit) or not reached over SSH: the overlay takes it at its members\' word, and so does the table', () => {
    const nodes = [node('a1', { reachable: false, agentVersion: null }), node('a2', { agent: { role: 'member', term: 2, superPeer: 'a1', regionPeer: 'a1', members: 0 } })];
    expect(statusPeers(nodes, agreement({ 'r1/a': 'a1' }, { r1: 'a1' }))).toEqual({ superPeers: { 'r1/a': ['a1'] }, regionPeers: { r1: ['a1'] } });
    expect(statusPeers(nodes, agreement({ 'r1/a': null }, {}))).toEqual({ superPeers: {}, regionPeers: {} });
  });
});
