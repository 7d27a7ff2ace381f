import type { MemberLiveness } from './agent-view.js';
import type { AgentAnswer } from './convergence.js';
import { subgridKey } from '../topology/subgrid-key.js';

/**
 * The nodes whose agents answer as a super peer now, and those that answer as their region's peer
 * too; per `region/sub-grid` whose voters a reached agent listed, its voters (the super peer first)
 * and, where a reached super peer or mirror keeps the registry, how it hears its members; and the
 * nodes whose agents answered, joined.
 */
export interface PeersNow {
  superPeers: ReadonlySet<string>;
  regionPeers: ReadonlySet<string>;
  voters: ReadonlyMap<string, readonly string[]>;
  /** No entry where no reached agent of the sub-grid keeps a registry (only members reached, or agents that do not say). */
  liveness: ReadonlyMap<string, Readonly<Record<string, MemberLiveness>>>;
  /** The nodes that answered as super peer, mirror or member: up, whatever a registry says. */
  answered: ReadonlySet<string>;
}

const JOINED = new Set(['super-peer', 'mirror', 'member']);

/**
 * The super peers and region peers as the agents name themselves now. A rolling apply asks this
 * before its first batch and again after every gate: the roles move (a handover, an election),
 * and a batch made from an old answer restarts a super peer as an ordinary node (review H3).
 * The voters and their liveness come from the best placed agent reached: the super peer's own list
 * and registry; without it (outside `--limit`), a mirror's, which gets every commit; else a member's
 * list (a member's copy of the view may lag, but it is the agents' word, not the topology's guess).
 */
export function peersNow(answers: readonly AgentAnswer[]): PeersNow {
  const superPeers = answers.filter((a) => a.view.role === 'super-peer');
  const rank = (a: AgentAnswer) => ['super-peer', 'mirror', 'member'].indexOf(a.view.role);
  const best = [...answers].filter((a) => rank(a) >= 0).sort((a, b) => rank(a) - rank(b));
  const voters = new Map<string, readonly string[]>();
  const liveness = new Map<string, Readonly<Record<string, MemberLiveness>>>();
  for (const a of best) {
    const leader = a.view.role === 'super-peer' ? a.node : a.view.superPeer;
    if (!voters.has(subgridKey(a)) && leader !== null && a.view.mirrors !== undefined) voters.set(subgridKey(a), [leader, ...a.view.mirrors.filter((m) => m !== leader)]);
    if (!liveness.has(subgridKey(a)) && a.view.liveness !== undefined) liveness.set(subgridKey(a), a.view.liveness);
  }
  return {
    superPeers: new Set(superPeers.map((a) => a.node)),
    regionPeers: new Set(superPeers.filter((a) => a.view.regionRole === 'region-peer').map((a) => a.node)),
    voters,
    liveness,
    answered: new Set(answers.filter((a) => JOINED.has(a.view.role)).map((a) => a.node)),
  };
}
