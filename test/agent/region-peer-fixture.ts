import { RegionDirectory } from '../../src/agent/core/directory.js';
import type { Destination, Message, SuperPeerSummary } from '../../src/agent/core/types.js';

export type Summary = Extract<Message, { type: 'peerSummary' }>;

/** A region peer's directory with a fake host: what it sends is kept, its region has `superPeers`. */
export function regionPeer(superPeers: SuperPeerSummary[], peerRegions: Array<string | { region: string; name: string }> = []) {
  const sent: Array<{ dest: Destination; message: Message }> = [];
  const directory = new RegionDirectory(
    { self: 'rp', region: 'home', peerRegions, regionName: 'home.grid.internal', interval: 10 },
    {
      send: (dest, message) => sent.push({ dest, message }),
      event: () => undefined,
      isRegionPeer: () => true,
      regionTerm: () => 1,
      ownSummary: () => ({ superPeers, nodes: superPeers.reduce((n, p) => n + p.members, 0) }),
      redirectTarget: () => null,
    },
  );
  return { directory, sent, summaries: () => sent.map((s) => s.message).filter((m): m is Summary => m.type === 'peerSummary' && m.probe !== true) };
}
