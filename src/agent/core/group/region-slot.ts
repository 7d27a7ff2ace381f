import type { RegionSlot, View } from '../types.js';
import { compareViews } from '../view.js';
import type { VoteCommit } from '../vote-store.js';
import type { GroupContext } from './context.js';
import type { Replication } from './replication.js';

/**
 * The sub-grid side of the region voter slot: the slot (region term, vote and view) lives in the
 * sub-grid's replicated view, and only the super peer writes it. A vote or region view counts as
 * durable once a quorum of the sub-grid's mirrors holds it, so that a successor super peer, which
 * inherits the slot, can never vote differently in one region term.
 */
export class SubgridRegionSlot {
  constructor(
    private readonly ctx: GroupContext,
    private readonly replication: Replication,
  ) {}

  /** This sub-grid's region voter slot, as the view holds it. */
  get slot(): RegionSlot | undefined {
    return this.ctx.state.view === null ? undefined : regionSlotOf(this.ctx.state.view);
  }

  /**
   * Makes the region vote (term, candidate) durable in the slot: 'pending' until a quorum of mirrors
   * holds it. A region-bootstrap ballot (`bootstrap`) is the slot's vote like any other, refused once
   * this sub-grid joined a region.
   */
  commitVote(term: number, candidate: string, bootstrap: boolean): VoteCommit {
    const view = this.ctx.state.view;
    if (this.ctx.role !== 'leader' || view === null || (bootstrap && view.regionJoined)) return 'refused';
    const slot = regionSlotOf(view);
    if (slot.term > term) return 'refused';
    if (slot.term === term && slot.votedFor !== null) {
      if (slot.votedFor !== candidate) return 'refused';
      return this.replication.isCommitted(view) ? 'committed' : 'pending';
    }
    this.replication.installView({ ...view, version: view.version + 1, term: this.ctx.state.term, regionSlot: { ...slot, term, votedFor: candidate } });
    return 'pending';
  }

  /** Records a newer region view in the slot. */
  recordView(regionView: View): void {
    const view = this.ctx.state.view;
    if (this.ctx.role !== 'leader' || view === null) return;
    const slot = regionSlotOf(view);
    if (compareViews(regionView, slot.view) <= 0) return;
    this.replication.installView({ ...view, version: view.version + 1, term: this.ctx.state.term, regionSlot: { ...slot, view: regionView } });
  }

  /** Records that this sub-grid belongs to a region now: it never takes part in a region bootstrap again. */
  recordJoined(): void {
    const view = this.ctx.state.view;
    if (this.ctx.role !== 'leader' || view === null || view.regionJoined) return;
    this.replication.installView({ ...view, version: view.version + 1, term: this.ctx.state.term, regionJoined: true });
  }

  /** The region view a quorum of mirrors holds in the slot (super peer only). */
  get committedView(): View | null {
    return this.ctx.role === 'leader' ? (this.replication.committed?.regionSlot?.view ?? null) : null;
  }
}

/**
 * A sub-grid's region voter slot. The region-bootstrap ballot of views written before bootstrap
 * retries is the slot's vote in region term 1 (it was committed in the view before it was cast).
 */
export function regionSlotOf(view: View): RegionSlot {
  const slot: RegionSlot = view.regionSlot ?? { term: 0, votedFor: null, view: null };
  if (slot.term < 1 && view.regionBallot !== undefined) return { ...slot, term: 1, votedFor: view.regionBallot };
  return slot;
}
