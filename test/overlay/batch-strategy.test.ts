import { rolling } from '../../src/overlay/batch-strategy.js';
import { peersNow } from '../../src/overlay/super-peers-now.js';
import type { AgentAnswer } from '../../src/overlay/convergence.js';

const answer = (node: string, subgrid: string, role: string, regionRole?: string): AgentAnswer => ({ node, region: 'r1', subgrid, view: { role, ...(regionRole ? { regionRole } : {}), term: 1, superPeer: null, regionPeer: null, members: 0 } });

describe('the rolling strategy and the peers the agents name (review N3)', () => {
  it('peersNow: the super peers, and among them the region peers', () => {
    const peers = peersNow([answer('a1', 's1', 'super-peer', 'region-peer'), answer('a2', 's1', 'mirror'), answer('b1', 's2', 'super-peer')]);
    expect([...peers.superPeers]).toEqual(['a1', 'b1']);
    expect([...peers.regionPeers]).toEqual(['a1']);
  });

  it('restarts the region peer after the other super peers of its region, one per batch', () => {
    const sizes = { grid: 4, subgrids: new Map([['r1/s1', 2], ['r1/s2', 2]]) };
    const strategy = rolling({ maxUnavailable: { count: 4 }, healthTimeoutMs: 1 }, sizes, peersNow([answer('a1', 's1', 'super-peer', 'region-peer'), answer('b1', 's2', 'super-peer')]));
    const changed = ['a1', 'a2', 'b1', 'b2'].map((host) => ({ host, region: 'r1', subgrid: host.startsWith('a') ? 's1' : 's2' }));
    expect(strategy.batches(changed).map((b) => b.hosts)).toEqual([['a2', 'b2'], ['b1'], ['a1']]);
  });
});
