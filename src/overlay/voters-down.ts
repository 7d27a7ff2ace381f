import type { MemberLiveness } from './agent-view.js';
import type { PeersNow } from './super-peers-now.js';

/**
 * A voter that counts as down, and why: this run could not reach it (`unreachable`); it is outside
 * the run and the reached registry hears it `suspect` or `dead` (or lists it not at all: removed, or
 * dropped by an older agent's mirror copy); or it is outside the run and no reached super peer or
 * mirror keeps a registry to say (`unknown`: possibly down).
 */
export interface VoterDown {
  name: string;
  why: 'unreachable' | MemberLiveness | 'unknown';
}

/**
 * Which of a sub-grid's named voters a rolling apply counts as down. A voter whose agent answered
 * is up. One this run did not connect to (`--limit`, `--site`) is judged by its super peer's
 * registry, the one that decides its quorum, or a mirror's copy: counted as up only when heard
 * alive, so that a voter down outside the run is never taken for one that keeps the quorum.
 */
export function votersDown(subgrid: string, peers: PeersNow, unreachable: ReadonlySet<string>): VoterDown[] {
  const heard = peers.liveness.get(subgrid);
  const down: VoterDown[] = [];
  for (const name of peers.voters.get(subgrid) ?? []) {
    if (unreachable.has(name)) down.push({ name, why: 'unreachable' });
    else if (peers.answered.has(name)) continue;
    else if (heard === undefined) down.push({ name, why: 'unknown' });
    else if (heard[name] !== 'alive') down.push({ name, why: heard[name] ?? 'dead' });
  }
  return down;
}

/**
 * Which of `names`, nodes of `subgrid` that this run did not connect to, the reached registry
 * hears down: suspect, dead, or not listed at all (removed after its death, or never joined). Where
 * no reached agent keeps the sub-grid's registry, none is said down: unlike a voter's, a node's
 * being down costs no quorum, only the sub-grid's maxUnavailable budget.
 */
export function outsideNodesDown(subgrid: string, names: readonly string[], peers: PeersNow): VoterDown[] {
  const heard = peers.liveness.get(subgrid);
  if (heard === undefined) return [];
  return names.filter((name) => !peers.answered.has(name) && heard[name] !== 'alive').map((name) => ({ name, why: heard[name] ?? 'dead' }));
}
