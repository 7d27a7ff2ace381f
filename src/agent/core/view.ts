import { sameAddress } from './address.js';
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
  for (const peer of [...view.voters, ...(view.oldVoters ?? [])]) byName.set(voterKey(peer), peer);
  return [...byName.values()];
}

/**
 * What a voter counts under: its node name, or for the region tier its voter slot (the sub-grid
 * whose current super peer holds it, so that a successor super peer inherits the slot).
 */
export function voterKey(peer: Peer): string {
  return peer.slot ?? peer.name;
}

/** Is `key` (a node name, or a region voter slot) a voter of this view? */
export function isVoter(view: View | null, key: string): boolean {
  return allVoters(view).some((peer) => voterKey(peer) === key);
}

function majorityOf(peers: Peer[], granted: ReadonlySet<string>): boolean {
  if (peers.length === 0) return false;
  const count = peers.filter((peer) => granted.has(voterKey(peer))).length;
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

/** Same voter keys (the same quorums), whoever holds the slots. */
export function sameVoterKeys(a: Peer[], b: Peer[]): boolean {
  if (a.length !== b.length) return false;
  const keys = new Set(a.map(voterKey));
  return b.every((peer) => keys.has(voterKey(peer)));
}

/** Same voter keys held by the same nodes. */
export function sameVoters(a: Peer[], b: Peer[]): boolean {
  if (!sameVoterKeys(a, b)) return false;
  const holders = new Map(a.map((peer) => [voterKey(peer), peer.name]));
  return b.every((peer) => holders.get(voterKey(peer)) === peer.name);
}

/**
 * Does some voter of `next` have a known address other than the one `current` records for it (it
 * restarted on another port)? A voter whose address either side lacks does not count as moved,
 * and neither does one written another way (`::ffff:10.0.0.1` is `10.0.0.1`): each move commits a
 * new view version, so a mere change of notation must not (review L5).
 */
export function voterMoved(current: Peer[], next: Peer[]): boolean {
  const recorded = new Map(current.map((peer) => [peer.name, peer.addr]));
  return next.some((peer) => {
    const addr = recorded.get(peer.name);
    return addr !== undefined && peer.addr !== undefined && !sameAddress(addr, peer.addr);
  });
}
