import type { AgentView } from '../overlay/agent-view.js';
import type { OverlayAgreement } from '../overlay/convergence.js';

/** What of a node's status tells its peers (grid-status.ts's NodeStatus, which builds on this file). */
interface NodeRole {
  node: string;
  region: string;
  subgrid: string;
  agent?: Pick<AgentView, 'role' | 'regionRole'>;
}

/**
 * The super peers per `region/sub-grid` and region peers per region that `status` shows: the
 * nodes that answer as such (more than one while an election settles), else the one the overlay
 * takes at its followers' word (overlayAgreement: one not asked, `--limit`, or not reached over
 * SSH), so the table never says "no super peer yet" of a sub-grid whose overlay converged.
 */
export function statusPeers(nodes: readonly NodeRole[], agreement: OverlayAgreement | undefined): { superPeers: Record<string, string[]>; regionPeers: Record<string, string[]> } {
  const superPeers: Record<string, string[]> = {};
  for (const s of nodes) if (s.agent?.role === 'super-peer') (superPeers[`${s.region}/${s.subgrid}`] ??= []).push(s.node);
  const regionPeers: Record<string, string[]> = {};
  for (const s of nodes) if (s.agent?.regionRole === 'region-peer') (regionPeers[s.region] ??= []).push(s.node);
  for (const [subgrid, peer] of Object.entries(agreement?.superPeers ?? {})) if (peer !== null && !superPeers[subgrid]) superPeers[subgrid] = [peer];
  for (const [region, peer] of Object.entries(agreement?.regionPeers ?? {})) if (peer !== null && !regionPeers[region]) regionPeers[region] = [peer];
  return { superPeers, regionPeers };
}
