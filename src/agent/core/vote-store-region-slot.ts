import type { RegionSlot, View } from './types.js';
import type { CastVote, VoteCommit, VoteStore } from './vote-store.js';

/** What the region tier needs of its node's sub-grid engine, whose replicated view holds the slot. */
export interface RegionSlotKeeper {
  isLeader(): boolean;
  readonly term: number;
  /** The slot as the sub-grid view holds it. */
  readonly regionSlot: RegionSlot | undefined;
  /** Commits the slot's vote of a region term in the sub-grid view ('pending' until a quorum of mirrors holds it). */
  commitRegionVote(term: number, candidate: string, bootstrap: boolean): VoteCommit;
  recordRegionView(view: View): void;
  /** The region view a quorum of the sub-grid's mirrors holds in the slot (null unless super peer). */
  readonly committedRegionView: View | null;
  /** Is `name` a member of this sub-grid? */
  hasMember(name: string): boolean;
}

/**
 * The region tier: a region voter slot belongs to a sub-grid, and its super peer votes with it.
 * Votes and the region view are committed in the sub-grid's replicated view before they count or
 * leave, so a successor super peer inherits the slot and can never vote twice in a region term.
 */
export class RegionSlotVoteStore implements VoteStore {
  constructor(
    /** The sub-grid: the slot's name, and the identity its bootstrap ballots count under. */
    readonly ballotIdentity: string,
    /** This node's name. */
    private readonly self: string,
    private readonly subgrid: RegionSlotKeeper,
  ) {}

  slot(): { id: string; term: number } | null {
    return this.subgrid.isLeader() ? { id: this.ballotIdentity, term: this.subgrid.term } : null;
  }

  commit(term: number, candidate: string, bootstrap: boolean): VoteCommit {
    return this.subgrid.commitRegionVote(term, candidate, bootstrap);
  }

  /**
   * The slot's last vote binds its holder, unless it went to a super peer of this very sub-grid:
   * that one held the slot when it stood (the slot's own candidacy), and a win is kept in the slot
   * as its region view, which makes the holder not fresh.
   */
  boundBallot(): CastVote | null {
    const slot = this.subgrid.regionSlot;
    if (slot === undefined || slot.votedFor === null) return null;
    if (slot.votedFor === this.self || this.subgrid.hasMember(slot.votedFor)) return null;
    return { term: slot.term, to: slot.votedFor };
  }

  /** The slot already holds it: commit() put it there. */
  noteBootstrapGrant(): void {}

  recordView(view: View): void {
    this.subgrid.recordRegionView(view);
  }

  committedView(): View | null {
    return this.subgrid.committedRegionView;
  }
}
