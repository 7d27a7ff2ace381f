import type { OverlayAgreement } from '../overlay/convergence.js';
import type { NodeStatus } from './grid-status.js';

/**
 * The super peers per `region/sub-grid` and region peers per region that `status` shows: the
 * nodes that answer as such (more than one while an election settles), else the one the overlay
 * takes at its followers' word (overlayAgreement: one not asked, `--limit`, or not reached over
 * SSH), so the table never says "no super peer yet" of a sub-grid whose overlay converged.
 */
export function statusPeers(nodes: readonly NodeStatus[], agreement: OverlayAgreement | undefined): { superPeers: Record<string, string[]>; regionPeers: Record<string, string[]> } {
  const superPeers: Record<string, string[]> = {};
  for (const s of nodes) if (s.agent?.role === 'super-peer') (superPeers[`${s.region}/${s.subgrid}`] ??= []).push(s.node);
  const regionPeers: Record<string, string[]> = {};
  for (const s of nodes) if (s.agent?.regionRole === 'region-peer') (regionPeers[s.region] ??= []).push(s.node);
  for (const [subgrid, peer] of Object.entries(agreement?.superPeers ?? {})) if (peer !== null && !superPeers[subgrid]) superPeers[subgrid] = [peer];
  for (const [region, peer] of Object.entries(agreement?.regionPeers ?? {})) if (peer !== null && !regionPeers[region]) regionPeers[region] = [peer];
  return { superPeers, regionPeers };
}
