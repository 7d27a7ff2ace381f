import type { GroupPersistentState, View } from './types.js';
import type { CastVote, VoteCommit, VoteStore } from './vote-store.js';

/** The sub-grid tier: the node's own state file holds its votes, written before any message leaves. */
export class StateFileVoteStore implements VoteStore {
  constructor(
    readonly ballotIdentity: string,
    private readonly state: () => GroupPersistentState,
  ) {}

  slot(): null {
    return null;
  }

  /** The host persists the state before it sends (Ready): a vote is durable when it leaves. */
  commit(): VoteCommit {
    return 'committed';
  }

  boundBallot(): CastVote | null {
    return this.state().bootstrapVote ?? null;
  }

  noteBootstrapGrant(vote: CastVote): void {
    this.state().bootstrapVote = vote;
  }

  /** The view is the node's own state already. */
  recordView(): void {}

  committedView(): View | null {
    return this.state().view;
  }
}
