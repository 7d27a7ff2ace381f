import type { AgentAnswer } from './convergence.js';
import { subgridKey } from '../topology/subgrid-key.js';

/**
 * The nodes whose agents answer as a super peer now, and those that answer as their region's peer
 * too; and per `region/sub-grid` whose super peer answered with its mirrors, its voters.
 */
export interface PeersNow {
  superPeers: ReadonlySet<string>;
  regionPeers: ReadonlySet<string>;
  voters: ReadonlyMap<string, readonly string[]>;
}

/**
 * The super peers and region peers as the agents name themselves now. A rolling apply asks this
 * before its first batch and again after every gate: the roles move (a handover, an election),
 * and a batch made from an old answer restarts a super peer as an ordinary node (review H3).
 */
export function peersNow(answers: readonly AgentAnswer[]): PeersNow {
  const superPeers = answers.filter((a) => a.view.role === 'super-peer');
  // The super peer's own list: it drives the voter set (a member's copy of the view may lag).
  const voters = new Map(superPeers.filter((a) => a.view.mirrors !== undefined).map((a) => [subgridKey(a), [a.node, ...a.view.mirrors!.filter((m) => m !== a.node)]] as const));
  return { superPeers: new Set(superPeers.map((a) => a.node)), regionPeers: new Set(superPeers.filter((a) => a.view.regionRole === 'region-peer').map((a) => a.node)), voters };
}
