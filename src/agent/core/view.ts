import type { Peer, View } from './types.js';

/** Orders views like the last entry of a Raft log: by term, then version. */
export function compareViews(a: { term: number; version: number } | null, b: { term: number; version: number } | null): number {
  if (a === null) return b === null ? 0 : -1;
  if (b === null) return 1;
  return a.term !== b.term ? a.term - b.term : a.version - b.version;
}

/** Every peer that votes under this view: the new voters, plus the old ones while the view is joint. */
export function allVoters(view: View | null): Peer[] {
  if (view === null) return [];
  const byName = new Map<string, Peer>();
  for (const peer of [...view.voters, ...(view.oldVoters ?? [])]) byName.set(peer.name, peer);
  return [...byName.values()];
}

export function isVoter(view: View | null, name: string): boolean {
  return allVoters(view).some((peer) => peer.name === name);
}

function majorityOf(peers: Peer[], granted: ReadonlySet<string>): boolean {
  if (peers.length === 0) return false;
  const count = peers.filter((peer) => granted.has(peer.name)).length;
  return count * 2 > peers.length;
}

/** A joint view needs a majority of both configurations, as in Raft's joint consensus. */
export function hasQuorum(view: View, granted: ReadonlySet<string>): boolean {
  return majorityOf(view.voters, granted) && (view.oldVoters === undefined || majorityOf(view.oldVoters, granted));
}

/** Votes a bootstrap candidate needs: a majority of the expected group size (Consul's bootstrap_expect). */
export function bootstrapQuorum(expect: number): number {
  return Math.floor(Math.max(1, expect) / 2) + 1;
}

export function sameVoterNames(a: Peer[], b: Peer[]): boolean {
  if (a.length !== b.length) return false;
  const names = new Set(a.map((peer) => peer.name));
  return b.every((peer) => names.has(peer.name));
}
