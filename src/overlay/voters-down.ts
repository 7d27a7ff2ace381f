import type { MemberLiveness } from './agent-view.js';
import type { PeersNow } from './super-peers-now.js';

/**
 * A voter (or node) that counts as down, and why: this run could not reach it (`unreachable`); it
 * is outside the run and the reached registry hears it `suspect` or `dead` (a voter it lists not at
 * all, removed or dropped by an older agent's mirror copy, is `dead` too; a node, `unlisted`); or it
 * is outside the run and no reached super peer or mirror keeps a registry to say (`unknown`:
 * possibly down).
 */
export interface VoterDown {
  name: string;
  why: 'unreachable' | MemberLiveness | 'unlisted' | 'unknown';
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

/** A node outside the run, under its topology name and the older names its agent may still run as (a rename not applied yet). */
export interface OutsideNode {
  name: string;
  formerNames: readonly string[];
}

/**
 * Which of `nodes`, nodes of `subgrid` that this run did not connect to and that ran the agent, the
 * reached registry hears down: suspect, dead, or listed under none of their names (`unlisted`:
 * removed after its death, or gone). Where no reached agent keeps the sub-grid's registry, none is
 * said down: unlike a voter's, a node's being down costs no quorum, only the sub-grid's
 * maxUnavailable budget.
 */
export function outsideNodesDown(subgrid: string, nodes: readonly OutsideNode[], peers: PeersNow): VoterDown[] {
  const heard = peers.liveness.get(subgrid);
  if (heard === undefined) return [];
  const down: VoterDown[] = [];
  for (const { name, formerNames } of nodes) {
    const names = [name, ...formerNames];
    if (names.some((n) => peers.answered.has(n) || heard[n] === 'alive')) continue;
    const listed = names.map((n) => heard[n]).find((liveness) => liveness !== undefined);
    down.push({ name, why: listed ?? 'unlisted' });
  }
  return down;
}
