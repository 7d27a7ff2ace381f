import { LOCAL_HEALTH_DEFAULTS } from '../local-health.js';
import { QuorumContact } from '../quorum-contact.js';
import type { DepartedWire, Message, Peer, RegistryEntryWire, View } from '../types.js';
import { allVoters, compareViews, hasQuorum, isVoter, voterKey } from '../view.js';
import type { GroupContext } from './context.js';
import { RegistryCopies } from './registry-copies.js';
import { nextView } from './voter-changes.js';

/** A voter's last acknowledgement: when, and which view it holds. */
export interface VoterAck {
  at: number;
  viewTerm: number;
  viewVersion: number;
  /** Since when it has acknowledged without a break longer than the lease (a rebalance's hold-down: hand-back-hold-down.ts). */
  since: number;
}

/** What replication needs from the role transitions (engine.ts). */
export interface ReplicationRoles {
  /** A message of a higher term makes this node a follower of that term (`fromLeader`: a leader of that term sent it). */
  observeTerm(term: number, fromLeader?: boolean): void;
  /** A leader of the current term spoke: follow it. */
  followLeader(name: string): void;
  /** CheckQuorum failed: stop leading. */
  stepDown(reason: string): void;
  /** The committed view no longer counts this leader among its voters (it leaves for good): hand over and stop leading. */
  leftTheVoters(): void;
  /** This leader takes itself out of the voters (sub-grid tier, it left for good: GroupEngine.leaveVoters). */
  leavesVoters(): boolean;
  /** The voters the leader wants now (voter-changes.ts). */
  desiredVoters(current: Peer[]): Peer[];
  /** A transfer target whose outgoing leader is `name`, asked for its vote last (election.ts). */
  awaitsLastVoteOf(name: string): boolean;
  /** That target learned a newer view from its outgoing leader: it asks for the votes again with it. */
  learnedOutgoingView(): void;
  /** Leader: the names that left for good lately, its own too once it leaves (group/departed.ts). */
  departedToCarry(): DepartedWire[];
  /** Follower: the names its leader's sync says left for good; and those its registry copy shows signed in again are forgotten. */
  learnDeparted(departed: DepartedWire[]): void;
}

/**
 * The leader's copy of the group to its voters: every `syncInterval` a `sync` with the view (and
 * the registry when it changed, every `registryRefreshInterval`, and with backoff to a voter that
 * has no copy yet: registry-copies.ts), acknowledged by `syncAck`.
 * A view held by a quorum is committed, and the voter set moves one joint-consensus step at a
 * time towards the desired one. The same acknowledgements (and the voters' heartbeats) feed
 * CheckQuorum: a leader that has not heard from a quorum within `electionTimeoutMax` steps down.
 */
export class Replication {
  /** Leader only: the last acknowledgement of each voter key. */
  readonly acks = new Map<string, VoterAck>();
  /** Leader only: the last view a quorum holds. */
  committed: View | null = null;
  /** Set when the registry changed: the next sync carries it. */
  registryDirty = false;
  /** Leader only: the voters a view added, or new holders of a region slot, until they prove they hold a registry copy. */
  private readonly copies = new RegistryCopies(
    () => this.ctx.timers.syncInterval,
    () => this.ctx.timers.registryRefreshInterval,
  );
  /** Follower: the newest registry copy it took, by the leader's term and copy number (sync.copy). */
  private heldCopy: { term: number; copy: number } | null = null;
  private nextSyncAt = 0;
  private lastRegistrySentAt = Number.NEGATIVE_INFINITY;
  private readonly contact = new QuorumContact();
  /** Follower: the view it last acknowledged (region tier: acknowledged once its slot holds it). */
  private lastAckedView: { term: number; version: number } | null = null;

  constructor(
    private readonly ctx: GroupContext,
    private readonly roles: ReplicationRoles,
  ) {}

  /** A new leadership: nothing is committed in this term yet, and every voter counts as heard now. */
  resetForLeader(): void {
    this.committed = null;
    this.acks.clear();
    this.copies.reset();
    this.registryDirty = true;
    this.contact.reset(this.ctx.state.view, this.contactClock);
  }

  // ---- leader side --------------------------------------------------------------------------

  /**
   * A tick that ran late syncs too: the sync is the only message that tells the voters this leader
   * runs late (`slow`), and the next one due may be two starved ticks away (600 ms ticking every
   * 3rd tick), past their 500 ms lease: such a live leader was deposed in 6 of 40 seeded runs just
   * as its starvation began (test/agent/local-health.test.ts).
   */
  tickLeader(): void {
    if (this.ctx.now >= this.nextSyncAt || this.quorumContactStale() || this.ctx.health.laggingNow) this.sendSyncs();
  }

  /**
   * Within one sync interval of the CheckQuorum bound without a quorum's answer, the leader syncs
   * every tick: under heavy loss one more round trip decides between serving on and stepping down
   * (a new leader, elected while half the packets were lost, stepped down 0.15 s after the loss
   * stopped because its next sync was due only in the tick of the bound). Only a leader that
   * lacks answers sends more.
   */
  private quorumContactStale(): boolean {
    const ctx = this.ctx;
    return this.contactClock - this.quorumContactAt() >= ctx.health.scale(ctx.timers.electionTimeoutMax) - ctx.timers.syncInterval;
  }

  /**
   * CheckQuorum, every tick over a sliding window: a leader that has not heard from a quorum
   * within electionTimeoutMax stops serving at once, so it never outlives that bound.
   */
  quorumLost(): boolean {
    const health = this.ctx.health;
    // Local health: the acknowledgements may sit unread behind a late tick; a slow leader waits longer.
    if (health.laggingNow) return false;
    return this.contactClock - this.quorumContactAt() >= health.scale(this.ctx.timers.electionTimeoutMax);
  }

  /**
   * CheckQuorum's clock: wall time in ticks (local-health.ts, wallTicks), not this node's own
   * ticks. A starved leader's late tick counts the ticks it lost, so a cut-off leader that runs
   * late steps down within the widened bound in real time, while its successor is already elected.
   */
  private get contactClock(): number {
    return this.ctx.health.wallTicks;
  }

  /** The wall tick (contactClock) at which this leader had last heard from a quorum of its view's voters. */
  private quorumContactAt(): number {
    return this.contact.quorumContactAt(this.ctx.state.view, (peer) => this.ctx.isSelf(peer), this.contactClock);
  }

  /** Ticks of wall time since this leader last heard from a quorum of its view's voters. */
  quorumContactAgo(): number {
    return Math.max(0, this.contactClock - this.quorumContactAt());
  }

  /** A mirror's heartbeat of the current term is contact too (etcd counts any message of the term as recent activity). */
  heardFrom(message: Message): void {
    if (message.term === this.ctx.state.term) this.contact.heard(message.slot ?? message.from, this.contactClock);
  }

  sendSyncs(): void {
    const ctx = this.ctx;
    const view = ctx.state.view;
    if (view === null) return;
    this.nextSyncAt = ctx.now + ctx.timers.syncInterval;
    const toAll = this.registryDirty || ctx.now - this.lastRegistrySentAt >= ctx.timers.registryRefreshInterval;
    let copy: { registry: RegistryEntryWire[]; copy: number } | undefined;
    if (toAll) {
      this.registryDirty = false;
      this.lastRegistrySentAt = ctx.now;
    }
    // A leader that runs late says so (Lifeguard's refutation, carried by the sync): its voters
    // then wait as long as it does, instead of deposing a healthy but starved leader.
    const slow = ctx.health.healthScore;
    // Every sync, not only those with the registry: a voter that missed a member's leaves may have
    // missed the registry copy without it too, and would take it back once elected.
    const departed = this.roles.departedToCarry();
    for (const voter of ctx.otherVoterHolders(view)) {
      // A copy goes over TCP (bulk), the plain sync over UDP: a voter awaiting its copy still gets
      // the view every interval, and the copy itself only with backoff (registry-copies.ts).
      const due = this.copies.syncing(voter.key, voter.name, ctx.now);
      if (toAll || due) {
        copy ??= { registry: ctx.registry.toWire(), copy: this.copies.nextNumber() };
        this.copies.sent(voter.key, voter.name, ctx.now);
      }
      const carried = toAll || due ? copy : undefined;
      ctx.sendTo(voter.name, { type: 'sync', view, ...(carried ?? {}), ...(slow > 0 ? { slow } : {}), ...(departed.length > 0 ? { departed } : {}) }, carried !== undefined, voter.addr);
    }
  }

  onSyncAck(message: Extract<Message, { type: 'syncAck' }>): void {
    const ctx = this.ctx;
    if (message.term > ctx.state.term) {
      this.roles.observeTerm(message.term);
      return;
    }
    if (ctx.role !== 'leader' || message.term !== ctx.state.term) return;
    const key = message.slot ?? message.from;
    // Only the view's voters count (its quorum, CheckQuorum's contact): an ack in another name, which
    // a node holding the grid key can sign in any, would only grow these maps for the whole term.
    if (!isVoter(ctx.state.view, key)) return;
    const previous = this.acks.get(key);
    const since = previous !== undefined && ctx.now - previous.at <= ctx.timers.electionTimeoutMin ? previous.since : ctx.now;
    this.acks.set(key, { at: ctx.now, viewTerm: message.viewTerm, viewVersion: message.viewVersion, since });
    this.copies.acknowledged(key, message.from, message.copy);
    this.contact.heard(key, this.contactClock);
    this.advanceView();
  }

  /** Commits the view once a quorum holds it, then takes the next step towards the desired voters. */
  advanceView(): void {
    const ctx = this.ctx;
    const view = ctx.state.view;
    if (view === null || ctx.role !== 'leader') return;
    const acked = new Set<string>();
    // Region tier: our own acknowledgement counts once our sub-grid holds the view in our voter slot.
    if (compareViews(this.ackedView(), view) >= 0) acked.add(ctx.selfKey);
    for (const [key, ack] of this.acks) {
      if (compareViews({ term: ack.viewTerm, version: ack.viewVersion }, view) >= 0) acked.add(key);
    }
    if (!hasQuorum(view, acked)) return;
    this.committed = view;
    // Raft's removal of the leader: it leads until the view without it is committed, then steps down.
    // Only a leader that removes itself: no other view leaves its leader out.
    if (view.oldVoters === undefined && this.roles.leavesVoters() && !view.voters.some((peer) => ctx.isSelf(peer))) {
      this.roles.leftTheVoters();
      return;
    }
    const next = nextView(view, () => this.roles.desiredVoters(view.voters), ctx.state.term);
    if (next !== null) this.installView(next);
  }

  /** Is `view` (the current one) committed? */
  isCommitted(view: View): boolean {
    return compareViews(this.committed, view) >= 0;
  }

  /** The leader changes its view: durable first, sent to the voters at once. */
  installView(next: View): void {
    const ctx = this.ctx;
    const previous = ctx.state.view;
    ctx.state.view = next;
    if (ctx.role === 'leader') {
      this.contact.admit(next, this.contactClock);
      this.trackNewVoters(previous, next);
    }
    ctx.persist();
    ctx.event({ type: 'viewChanged', tier: ctx.settings.tier, view: next });
    this.viewUpdated();
    this.sendSyncs();
    // Voters this view drops get it once too: they learn at once that they are plain members, before
    // their (sub-second) election timer runs out for want of syncs.
    if (ctx.role === 'leader' && previous !== null) {
      const kept = new Set(allVoters(next).map(voterKey));
      for (const voter of allVoters(previous)) if (!kept.has(voterKey(voter)) && !ctx.isSelf(voter)) ctx.sendTo(voter.name, { type: 'sync', view: next }, false, voter.addr);
    }
  }

  /** The voters `next` adds await the registry (registry-copies.ts); those it drops no longer do. */
  private trackNewVoters(previous: View | null, next: View): void {
    const before = new Set(previous === null ? [] : allVoters(previous).map(voterKey));
    const now = new Set<string>();
    for (const voter of allVoters(next)) {
      const key = voterKey(voter);
      now.add(key);
      if (!before.has(key) && !this.ctx.isSelf(voter)) this.copies.await(key, this.ctx.holderOf(voter).name, this.ctx.now);
    }
    this.copies.keepOnly(now);
  }

  // ---- voter side ---------------------------------------------------------------------------

  onSync(message: Extract<Message, { type: 'sync' }>): void {
    const ctx = this.ctx;
    if (message.term < ctx.state.term) {
      // A transfer target still learns its outgoing leader's views: that leader serves until it
      // gives its vote, and gives it only to a target that holds its latest view (election.ts).
      // And the names it says left for good, as from any sync of its leader: the target is about to
      // lead, and a leave it missed would otherwise be taken back from its copy.
      if (this.roles.awaitsLastVoteOf(message.from)) {
        if (this.learnView(message.view)) this.roles.learnedOutgoingView();
        if (message.departed) this.roles.learnDeparted(message.departed);
      }
      // A deposed leader learns the newer term from the answer and steps down; an outgoing one notes the term (transfer.ts).
      this.sendSyncAck(message.from);
      return;
    }
    this.roles.observeTerm(message.term, true);
    if (ctx.role === 'leader') return;
    this.roles.followLeader(message.from);
    ctx.leaderSlow = Math.min(LOCAL_HEALTH_DEFAULTS.maxScore, Math.max(0, Math.floor(message.slow ?? 0)));
    this.learnView(message.view);
    if (!ctx.state.joined) {
      ctx.state.joined = true;
      ctx.persist();
    }
    const tookCopy = message.registry !== undefined && this.takesCopy(message.term, message.copy);
    if (tookCopy) ctx.registry.replaceFrom(message.registry!, ctx.now);
    // Also without a list: a new copy may show a departed name signed in again.
    if (tookCopy || message.departed) this.roles.learnDeparted(message.departed ?? []);
    this.sendSyncAck(message.from);
  }

  /**
   * Is a registry copy newer than the one held? Copies travel over separate TCP connections, which
   * can reorder them: an older one must not overwrite a newer one. A copy from an older agent has
   * no number, and is taken as before.
   */
  private takesCopy(term: number, copy: number | undefined): boolean {
    if (copy === undefined) return true;
    const held = this.heldCopy;
    if (held !== null && held.term === term && copy <= held.copy) return false;
    this.heldCopy = { term, copy };
    return true;
  }

  /** A newer view from the leader (a sync, or an hbAck to a member with an older one). Returns whether it was newer. */
  learnView(view: View): boolean {
    const ctx = this.ctx;
    if (compareViews(view, ctx.state.view) <= 0) return false;
    ctx.state.view = view;
    ctx.event({ type: 'viewChanged', tier: ctx.settings.tier, view });
    ctx.persist();
    this.viewUpdated();
    return true;
  }

  /** The view this node acknowledges: what its vote store holds durable (the sub-grid tier: its view). */
  ackedView(): View | null {
    return this.ctx.votes.committedView();
  }

  sendSyncAck(to: string): void {
    const acked = this.ackedView();
    this.lastAckedView = acked === null ? null : { term: acked.term, version: acked.version };
    // The copy held in this term (0: none), so that the leader knows it arrived (registry-copies.ts).
    const copy = this.heldCopy !== null && this.heldCopy.term === this.ctx.state.term ? this.heldCopy.copy : 0;
    this.ctx.sendTo(to, { type: 'syncAck', viewTerm: acked?.term ?? 0, viewVersion: acked?.version ?? 0, copy });
  }

  /** Region tier: acknowledges a region view as soon as the slot holds it, not at the next sync. */
  ackIfNewlyDurable(): void {
    const ctx = this.ctx;
    if (ctx.role !== 'follower' || ctx.leader === null || ctx.leader === ctx.self) return;
    const acked = this.ackedView();
    if (acked !== null && compareViews(acked, this.lastAckedView) > 0) this.sendSyncAck(ctx.leader);
  }

  /** Every change of this node's view goes to the vote store too (region tier: the slot). */
  viewUpdated(): void {
    if (this.ctx.state.view !== null) this.ctx.votes.recordView(this.ctx.state.view);
  }
}
