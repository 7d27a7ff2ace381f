import type { Peer, View } from './types.js';
import { voterKey } from './view.js';

/**
 * A leader's record of when it last heard from each voter (etcd's per-peer "recent activity"),
 * and from it the last moment it was in contact with a quorum. CheckQuorum asks this every tick
 * over a sliding window, so that a cut-off leader steps down within the window itself, not
 * within up to two windows as with a check every window.
 */
export class QuorumContact {
  /** Tick of the last message heard from each voter key. */
  private readonly lastHeard = new Map<string, number>();

  /**
   * A new leadership: every voter counts as heard now. Its votes (a quorum) were just heard, and
   * the others get one window to show up, as the first check of etcd's CheckQuorum does.
   */
  reset(view: View | null, now: number): void {
    this.lastHeard.clear();
    this.admit(view, now);
  }

  /**
   * Keeps the record to the voters of `view`: a voter new to it counts as heard now (it was just
   * sent the view, and gets one window to answer), a voter that left is forgotten.
   */
  admit(view: View | null, now: number): void {
    const keys = new Set(votersOf(view).map(voterKey));
    for (const key of keys) if (!this.lastHeard.has(key)) this.lastHeard.set(key, now);
    for (const key of [...this.lastHeard.keys()]) if (!keys.has(key)) this.lastHeard.delete(key);
  }

  /** A message of the leader's term from the holder of voter key `key`. */
  heard(key: string, now: number): void {
    if (this.lastHeard.has(key)) this.lastHeard.set(key, now);
  }

  /**
   * The latest tick T such that the voters heard from at or after T (this node always current)
   * form a quorum of `view`, both configurations of a joint one: as etcd computes a commit index
   * from match indexes, with contact times instead. -Infinity when there is no view.
   */
  quorumContactAt(view: View | null, isSelf: (peer: Peer) => boolean, now: number): number {
    if (view === null) return Number.NEGATIVE_INFINITY;
    const at = this.majorityContactAt(view.voters, isSelf, now);
    return view.oldVoters === undefined ? at : Math.min(at, this.majorityContactAt(view.oldVoters, isSelf, now));
  }

  private majorityContactAt(voters: Peer[], isSelf: (peer: Peer) => boolean, now: number): number {
    if (voters.length === 0) return Number.NEGATIVE_INFINITY;
    const times = voters.map((peer) => (isSelf(peer) ? now : (this.lastHeard.get(voterKey(peer)) ?? Number.NEGATIVE_INFINITY))).sort((a, b) => b - a);
    // The (n/2 + 1)-th most recent contact: from then on a majority has been heard.
    return times[Math.floor(voters.length / 2)]!;
  }
}

function votersOf(view: View | null): Peer[] {
  return view === null ? [] : [...view.voters, ...(view.oldVoters ?? [])];
}
