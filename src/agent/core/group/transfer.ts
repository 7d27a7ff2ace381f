import type { Message } from '../types.js';
import { allVoters, compareViews, voterKey } from '../view.js';
import type { GroupContext } from './context.js';
import type { Election } from './election.js';
import { HandBackHoldDown, handBackHoldDownFor } from './hand-back-hold-down.js';
import type { Replication } from './replication.js';

/** A leadership transfer under way, as the leader sees it. */
export interface TransferInFlight {
  target: string;
  /** The term the target stands in. */
  term: number;
  deadline: number;
  reason: 'handover' | 'rebalance';
  /** The leader serves on while the target gathers the other votes, and votes last (sub-grid tier). */
  leaderLast: boolean;
  /** The target's term was seen (a voter moved to it): there is no going back to the old term. */
  seenTerm: number | null;
}

/**
 * Raft's leadership transfer: the leader sends `timeoutNow` to its best up-to-date voter, which
 * stands at once (its vote requests carry `transfer`, so voters skip the lease). Used on SIGTERM
 * (handover) and when a voter beats the leader's score by the hysteresis margin (rebalance).
 * While it runs, /status keeps naming the outgoing leader, which serves until its successor won.
 */
export class Transfer {
  /** Leader: the transfer under way. */
  inFlight: TransferInFlight | null = null;
  /** After stepping down for a transfer: the successor, the leader to tell when leaving. */
  successor: string | null = null;
  /**
   * Voter: the outgoing leader, shown until its successor is known, at most until the transfer is
   * over (transferTimeout) and the outgoing leader, if it abandoned it, has stood again (electionTimeoutMin).
   */
  private from: { leader: string; until: number } | null = null;
  private nextRebalanceAt = 0;
  /** Former leaders this node replaced after they lost the role, handed it back by a rebalance only after a hold-down. */
  private readonly holdDown = new HandBackHoldDown(() => handBackHoldDownFor(this.ctx.timers.rebalanceInterval));

  constructor(
    private readonly ctx: GroupContext,
    private readonly replication: Replication,
    private readonly election: Election,
  ) {}

  /** A new leadership: no transfer, and the first rebalance after one interval. */
  resetForLeader(): void {
    this.inFlight = null;
    this.nextRebalanceAt = this.ctx.now + this.ctx.timers.rebalanceInterval;
  }

  /** This node won an election (not a transfer) after `name`, the leader it followed, lost the role. */
  replacedLostLeader(name: string): void {
    this.holdDown.lostRole(name, this.ctx.now);
  }

  /** The leader to show: the known one, or during a transfer the outgoing one. */
  shownLeader(): string | null {
    if (this.ctx.leader !== null) return this.ctx.leader;
    return this.from !== null && this.ctx.now <= this.from.until ? this.from.leader : null;
  }

  noteTransferFrom(leader: string): void {
    this.from = { leader, until: this.ctx.now + this.ctx.timers.transferTimeout + this.ctx.timers.electionTimeoutMin };
  }

  /** A leader is known again: the outgoing one is shown no more. */
  leaderKnown(): void {
    this.from = null;
  }

  /**
   * Hands the leader role to the best live voter. Returns the successor, or null when this node
   * is not leader or no voter is fit to take over.
   */
  start(reason: 'handover' | 'rebalance', to?: string): string | null {
    const ctx = this.ctx;
    if (ctx.role !== 'leader' || ctx.state.view === null) return null;
    const successor = to ?? this.bestSuccessor();
    if (successor === null) return null;
    // This node keeps serving while the target gathers the other voters' votes, and is asked last,
    // once its vote is all the target needs: only then does it step down (to vote), and the target
    // wins on its answer (a target asking with an older view than this leader's is sent the view
    // first: election.ts). So a transfer that cannot complete never took the leader away, and the two
    // never lead at once. Both tiers, with one exception: a region peer's SIGTERM handover, where the
    // node hands over both roles at once. Its sub-grid successor (about 60 ms) takes its region
    // voter slot, and its own region engine goes dormant and answers no vote: asked last, it could
    // never give the target the vote it waits for. There the target asks every voter at once, as
    // Raft does, and the region peer steps down when asked (it is leaving anyway).
    const leaderLast = ctx.settings.tier === 'subgrid' || reason === 'rebalance';
    this.inFlight = { target: successor, term: ctx.state.term + 1, deadline: ctx.now + ctx.timers.transferTimeout, reason, leaderLast, seenTerm: null };
    this.sendTimeoutNow();
    ctx.event({ type: 'handoverStarted', tier: ctx.settings.tier, successor });
    return successor;
  }

  private sendTimeoutNow(): void {
    const transfer = this.inFlight!;
    this.ctx.sendTo(transfer.target, { type: 'timeoutNow', ...(transfer.leaderLast ? { leaderLast: true } : {}) });
  }

  /**
   * Until the target is seen in its term, the timeoutNow is repeated every tick (a lost one must
   * not end the transfer). At the deadline, a transfer whose term was never seen is dropped and this
   * leader goes on as before; one whose term was seen, but whose target did not win, is abandoned:
   * returns that term (engine.ts takes the role back through an election in the next one).
   */
  tickLeader(): number | null {
    const ctx = this.ctx;
    const transfer = this.inFlight;
    if (transfer !== null && ctx.now > transfer.deadline) {
      this.inFlight = null;
      if (transfer.seenTerm !== null) return transfer.seenTerm;
    } else if (transfer !== null && transfer.seenTerm === null) {
      this.sendTimeoutNow();
    }
    if (ctx.now >= this.nextRebalanceAt) {
      this.nextRebalanceAt = ctx.now + ctx.timers.rebalanceInterval;
      this.maybeHandOverToBetter();
    }
    return null;
  }

  /**
   * During its own transfer the leader keeps serving when it sees the target's term from a voter
   * (a syncAck): only the target asking for its vote, or a leader of that term, ends its
   * leadership. It notes the term, which decides what happens at the deadline.
   */
  defers(term: number, fromLeader: boolean): boolean {
    const transfer = this.inFlight;
    if (transfer === null || !transfer.leaderLast || fromLeader || term !== transfer.term) return false;
    transfer.seenTerm = term;
    return true;
  }

  /**
   * Hysteresis on standing scores: only a voter whose machine beats this leader's by the margin
   * takes over, and only by transfer. Standing scores (no load, full uptime) are compared, not
   * live ones: a load that moves (a busy node, a saturated CPU) never moves the leader; it only
   * ranks the candidates of an election after a failure. Each rebalance is a leader change.
   */
  private maybeHandOverToBetter(): void {
    if (this.inFlight !== null) return;
    const successor = this.bestSuccessor('standing');
    if (successor === null) return;
    const info = this.ctx.host.selfInfo();
    const entry = this.ctx.registry.get(successor);
    const successorStanding = entry?.standing ?? entry?.score ?? 0;
    if (successorStanding > info.standing * (1 + this.ctx.settings.hysteresis)) this.start('rebalance', successor);
  }

  /**
   * The best voter that acknowledged the current view recently (it is up to date and alive), by
   * live score (a handover: who serves best now) or by standing score (a rebalance). A rebalance
   * passes over a former leader in its hold-down (hand-back-hold-down.ts); a handover does not.
   */
  private bestSuccessor(by: 'live' | 'standing' = 'live'): string | null {
    const ctx = this.ctx;
    const view = ctx.state.view;
    if (view === null) return null;
    let best: { name: string; score: number } | null = null;
    for (const voter of allVoters(view)) {
      if (voterKey(voter) === ctx.selfKey) continue;
      const holder = ctx.holderOf(voter).name;
      if (holder === ctx.self) continue;
      const ack = this.replication.acks.get(voterKey(voter));
      const entry = ctx.registry.get(holder);
      if (ack === undefined || entry === undefined || !entry.eligible || entry.liveness !== 'alive') continue;
      if (ctx.now - ack.at > ctx.timers.electionTimeoutMin) continue;
      if (compareViews({ term: ack.viewTerm, version: ack.viewVersion }, view) < 0) continue;
      if (by === 'standing' && this.holdDown.holdsBack(holder, ack.since, ctx.now)) continue;
      const score = by === 'live' ? entry.score : (entry.standing ?? entry.score);
      if (best === null || ctx.outranks(score, holder, best.score, best.name)) best = { name: holder, score };
    }
    return best?.name ?? null;
  }

  /**
   * A leader whose view without itself is committed (it leaves for good) needs no vote of its own
   * passed on: it tells the best remaining voter to stand at once, rather than after its election
   * timeout, and steps down (engine.ts). Returns that voter, or null.
   */
  handOffAfterRemoval(): string | null {
    const successor = this.bestSuccessor();
    if (successor !== null) this.ctx.sendTo(successor, { type: 'timeoutNow' });
    return successor;
  }

  /** The target: stand at once, in the next term, with the transfer flag. */
  onTimeoutNow(message: Extract<Message, { type: 'timeoutNow' }>): void {
    const ctx = this.ctx;
    if (message.from !== ctx.leader || message.term !== ctx.state.term || !this.election.canCampaign()) return;
    this.noteTransferFrom(message.from);
    this.election.stand(this.election.viewBallot, true, message.leaderLast ? message.from : undefined);
  }

  /** The leader steps down: a transfer under way ends here, and its target is the successor. */
  endLeadership(): TransferInFlight | null {
    const transfer = this.inFlight;
    this.inFlight = null;
    this.successor = transfer?.target ?? null;
    return transfer;
  }
}
