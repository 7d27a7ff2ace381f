import type { View } from './types.js';

/** The outcome of making a vote durable: it may count (or leave) only once committed. */
export type VoteCommit = 'committed' | 'pending' | 'refused';

/** One vote of one term, as a store keeps the last one that binds a bootstrap voter. */
export interface CastVote {
  term: number;
  to: string;
}

/**
 * Where a group's votes and view become durable before they count, so that no vote is ever cast
 * twice in one term. Every group has one (required, not optional hooks): the sub-grid tier keeps
 * them in the node's own state file (vote-store-state-file.ts); the region tier keeps them in the
 * sub-grid's region voter slot, replicated to the sub-grid's mirrors, so that a successor super
 * peer inherits them (vote-store-region-slot.ts).
 */
export interface VoteStore {
  /** The identity a bootstrap ballot counts under: this node, or for the region tier its sub-grid. */
  readonly ballotIdentity: string;
  /**
   * The voter slot this node holds and the term of its holding (region tier, while super peer), or
   * null: then the node votes and counts under its own name.
   */
  slot(): { id: string; term: number } | null;
  /**
   * Makes the vote (term, candidate) durable before it counts or leaves. `bootstrap`: a ballot of a
   * first election (the region slot refuses it once its sub-grid has joined a region).
   */
  commit(term: number, candidate: string, bootstrap: boolean): VoteCommit;
  /**
   * The last bootstrap vote this node (its slot) gave to another node, which binds it until that
   * node shows itself fresh in a later term; null when free.
   */
  boundBallot(): CastVote | null;
  /** Records a bootstrap ballot granted to another node (the sub-grid keeps it in its state file). */
  noteBootstrapGrant(vote: CastVote): void;
  /** Records a newer view of this group where a successor finds it. */
  recordView(view: View): void;
  /** The view this node acknowledges: only one that is durable where its votes are. */
  committedView(): View | null;
}
