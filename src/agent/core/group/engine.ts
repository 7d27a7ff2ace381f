import type { Registry } from '../registry.js';
import type { DepartedWire, GroupPersistentState, GroupRole, Message, Peer, RegionSlot, RegistryEntryWire, View } from '../types.js';
import { allVoters, compareViews, voterKey } from '../view.js';
import type { VoteCommit, VoteStore } from '../vote-store.js';
import type { Ballot } from './ballot.js';
import { GroupContext, type ElectionRole, type GroupHost, type GroupSettings } from './context.js';
import { DepartedNames, MAX_DEPARTED } from './departed.js';
import { Discovery } from './discovery.js';
import { Election } from './election.js';
import { Membership } from './membership.js';
import { SubgridRegionSlot } from './region-slot.js';
import { Replication } from './replication.js';
import { Transfer } from './transfer.js';
import { desiredVoters } from './voter-changes.js';

export type { GroupHost, GroupSettings } from './context.js';

/**
 * One tier's protocol on one node, modelled on etcd-io/raft: the concepts live in their own files
 * (discovery, membership, replication with CheckQuorum, voter changes, one election with two
 * ballots, leadership transfer, the region slot), and this engine owns the role transitions.
 * Each become* installs the role's tick function and goes through one reset(term). Pure: driven
 * by tick() and step(); it only talks through its host.
 */
export class GroupEngine {
  private readonly ctx: GroupContext;
  private readonly discovery: Discovery;
  private readonly membership: Membership;
  private readonly replication: Replication;
  private readonly election: Election;
  private readonly transfer: Transfer;
  private readonly slot: SubgridRegionSlot;
  /** What the current role does on a tick (installed by become*). */
  private tickRole: () => void;
  /** Leader: since when. */
  private leaderSince = 0;
  /** The last other node this one followed as leader (null once this node leads): the one an election win replaces. */
  private lastFollowed: string | null = null;
  /** What this node knew as leader, handed to the winner when a partition heals (merge). */
  private formerRegistry: { term: number; entries: RegistryEntryWire[] } | null = null;
  /** Region tier: our predecessor in the slot led the latest region term, so stand at once on activation. */
  private standSoon = false;
  /** Sub-grid leader that left for good: it drives the voters towards a set without itself (leaveVoters). */
  private leavingVoters = false;
  /** It led until the view without itself was committed (leftTheVoters). */
  private leftVotersCommitted = false;

  constructor(settings: GroupSettings, host: GroupHost, persisted: GroupPersistentState | null, voteStore: (state: () => GroupPersistentState) => VoteStore) {
    const state = persisted ? structuredCloneState(persisted) : { term: 0, votedFor: null, view: null, joined: false };
    this.ctx = new GroupContext(settings, host, state, voteStore(() => state));
    const roles = this.rolesForConcepts();
    this.discovery = new Discovery(this.ctx);
    this.replication = new Replication(this.ctx, roles);
    this.membership = new Membership(this.ctx, this.replication, roles, DepartedNames.forTimers(() => this.ctx.now, settings.timers, this.ctx.registry, settings.tickMs ?? 100));
    this.election = new Election(this.ctx, this.discovery, this.membership, roles);
    this.transfer = new Transfer(this.ctx, this.replication, this.election);
    this.slot = new SubgridRegionSlot(this.ctx, this.replication);
    this.tickRole = () => this.tickFollower();
    if (this.ctx.active) this.startSearching();
  }

  /** The transitions the concepts may ask for (their *Roles interfaces). */
  private rolesForConcepts() {
    return {
      observeTerm: (term: number, fromLeader?: boolean) => this.observeTerm(term, fromLeader),
      followLeader: (name: string) => this.followLeader(name),
      stepDown: (reason: string) => this.stepDown(reason),
      leftTheVoters: () => this.leftTheVoters(),
      leavesVoters: () => this.leavingVoters,
      desiredVoters: (current: Peer[]) => desiredVoters(this.ctx, current, { leaderSince: this.leaderSince, departed: this.membership.departed, selfLeaving: this.leavingVoters }),
      forgetLeader: () => {
        this.setLeader(null);
        this.startSearching();
      },
      redirected: (message: Extract<Message, { type: 'redirect' }>) => this.discovery.onRedirect(message),
      becomePreCandidate: (ballot: Ballot) => this.becomePreCandidate(ballot),
      becomeCandidate: (ballot: Ballot, term: number) => this.becomeCandidate(ballot, term),
      becomeLeader: () => this.becomeLeader(),
      becomeFollower: () => this.becomeFollower(this.ctx.state.term, null),
      loseLeader: () => this.loseLeader(),
      startSearching: () => this.startSearching(),
      noteTransferFrom: (leader: string) => this.transfer.noteTransferFrom(leader),
      transferSuccessor: () => this.transfer.successor,
      leaderLastTarget: () => (this.transfer.inFlight?.leaderLast ? this.transfer.inFlight.target : null),
      awaitsLastVoteOf: (name: string) => this.election.awaitsLastVoteOf(name),
      learnedOutgoingView: () => this.election.askAgainNow(),
      departedToCarry: () => this.departedToCarry(),
      learnDeparted: (departed: DepartedWire[]) => this.learnDeparted(departed),
    };
  }

  /** What this leader's syncs say left for good: what it heard, and itself once it leaves (its leave to a voter may be lost). */
  private departedToCarry(): DepartedWire[] {
    return this.membership.departed.toCarry(this.membership.leftForGood ? { name: this.ctx.self, incarnation: this.ctx.settings.incarnation } : undefined);
  }

  /**
   * Names the leader's sync says left for good: remembered as if their leaves had arrived here
   * (their age kept), and out of the registry copy, as a leave takes them out (the leaver registers
   * itself while it leads), unless the copy shows the node signed in again since. A leave heard
   * this way counts for a removal batch under way too (AgentCore.subgridMayBeLeaving), from when
   * it was heard.
   */
  private learnDeparted(departed: DepartedWire[]): void {
    const ctx = this.ctx;
    const names = this.membership.departed;
    for (const name of names.forgetSignedIn()) ctx.forgetHolder(name);
    // Its own name is not counted against the cap (the leader puts itself among them when it leaves).
    for (const entry of departed.filter((carried) => carried.name !== ctx.self).slice(0, MAX_DEPARTED)) {
      names.addFromWire(entry);
      const heardAt = names.heardAt(entry.name);
      if (heardAt === undefined) continue;
      // An older entry of the leaver goes with its leave (Registry.leave), as at the leader: not
      // taken for the node signed in again.
      if (entry.holder === undefined) ctx.registry.leave(entry.name, entry.incarnation);
      const held = ctx.registry.get(entry.name);
      if (held !== undefined && !names.signedInSince(entry.name, held)) ctx.registry.remove(entry.name);
      this.membership.lastLeftForGoodAt = Math.max(this.membership.lastLeftForGoodAt, heardAt);
    }
  }

  // ---- read-only views ----------------------------------------------------------------------

  get registry(): Registry {
    return this.ctx.registry;
  }

  /** The names this node holds as left for good (group/departed.ts). */
  departedNames(): string[] {
    return this.membership.departed.names();
  }

  get term(): number {
    return this.ctx.state.term;
  }

  get leaderName(): string | null {
    return this.ctx.leader;
  }

  /**
   * The leader to show (/status): the known leader, or, during a leadership transfer (SIGTERM,
   * rebalance), the outgoing one, which still serves until its successor has won. So a rolling
   * upgrade shows no moment without a super peer.
   */
  get shownLeaderName(): string | null {
    return this.transfer.shownLeader();
  }

  get leaderAddress(): string | undefined {
    return this.ctx.leader === null ? undefined : this.ctx.addressOf(this.ctx.leader);
  }

  get view(): View | null {
    return this.ctx.state.view;
  }

  get persistent(): GroupPersistentState {
    return structuredCloneState(this.ctx.state);
  }

  /** What this group keeps per peer, by map (each bounded: bounded-map.ts). */
  trackedPeers(): Record<string, number> {
    return { ...this.ctx.trackedPeers(), ...this.discovery.trackedPeers(), syncAcks: this.replication.acks.size };
  }

  isLeader(): boolean {
    return this.ctx.role === 'leader';
  }

  get groupRole(): GroupRole {
    const ctx = this.ctx;
    if (ctx.role === 'leader') return 'leader';
    if (ctx.role !== 'follower') return 'candidate';
    if (!ctx.active) return 'inactive';
    if (ctx.leader === null) return 'searching';
    return ctx.selfIsVoter() ? 'mirror' : 'member';
  }

  get joined(): boolean {
    return this.ctx.state.joined;
  }

  get isActive(): boolean {
    return this.ctx.active;
  }

  /** Leader only: ticks of wall time since it last heard from a quorum of voters (null on other roles). */
  get quorumContactAgo(): number | null {
    return this.ctx.role === 'leader' ? this.replication.quorumContactAgo() : null;
  }

  addressOf(name: string): string | undefined {
    return this.ctx.addressOf(name);
  }

  /** Whether this node is the only live member of its registry (the last node of its group). */
  isAlone(): boolean {
    return this.membership.isAlone();
  }

  /** Ticks since another member last said it leaves for good (Infinity if none has). */
  ticksSinceMemberLeftForGood(): number {
    return this.ctx.now - this.membership.lastLeftForGoodAt;
  }

  // ---- the sub-grid's region voter slot (region-slot.ts) ------------------------------------

  /** This sub-grid's region voter slot, as the view holds it. */
  get regionSlot(): RegionSlot | undefined {
    return this.slot.slot;
  }

  /** Sub-grid leader only: the region view that a quorum of mirrors holds in the slot. */
  get committedRegionView(): View | null {
    return this.slot.committedView;
  }

  commitRegionVote(term: number, candidate: string, bootstrap = false): VoteCommit {
    return this.slot.commitVote(term, candidate, bootstrap);
  }

  recordRegionView(view: View): void {
    this.slot.recordView(view);
  }

  recordRegionJoined(): void {
    this.slot.recordJoined();
  }

  /**
   * Region tier, on becoming super peer: take over the sub-grid's region voter slot (region term,
   * vote and view) that the previous super peers committed in the sub-grid view.
   */
  adoptSlot(slot: RegionSlot | undefined): void {
    if (slot === undefined) return;
    const state = this.ctx.state;
    if (slot.term > state.term) {
      state.term = slot.term;
      state.votedFor = slot.votedFor;
    } else if (slot.term === state.term) {
      state.votedFor = slot.votedFor;
    } else {
      // A vote of a later term that never reached the slot was never sent.
      state.votedFor = null;
    }
    // Like a Raft node, never stand in a term older than the view it holds (a leader of that term exists).
    const viewTerm = slot.view?.term ?? 0;
    if (viewTerm > state.term) {
      state.term = viewTerm;
      state.votedFor = null;
    }
    if (slot.view !== null && compareViews(slot.view, state.view) > 0) state.view = slot.view;
    if (slot.view !== null) state.joined = true;
    // Our predecessor in this slot led the region's latest term: it is gone, so stand at once.
    const mine = this.ctx.votes.slot()?.id;
    this.standSoon =
      slot.view !== null && slot.view.term === slot.term && slot.votedFor !== null && allVoters(slot.view).some((peer) => peer.slot === mine && peer.name === slot.votedFor);
    this.election.dropPending();
    this.ctx.persist();
  }

  /**
   * Region tier: called after the sub-grid moved. Sends a granted vote once the slot holds it,
   * stands once its own vote is held, and acknowledges a newly committed region view at once.
   */
  slotProgress(): void {
    if (this.ctx.settings.tier !== 'region' || !this.ctx.active) return;
    this.election.storeProgress();
    this.replication.ackIfNewlyDurable();
  }

  // ---- driving ------------------------------------------------------------------------------

  tick(): void {
    this.ctx.now++;
    if (!this.ctx.active) return;
    this.tickRole();
  }

  /** `validated`: the guard validated the packet (guard.ts); only then may it move the sender's address (context.ts, noteSender). */
  step(message: Message, fromAddr?: string, validated = false): void {
    const ctx = this.ctx;
    if (message.from === ctx.self) return;
    ctx.noteSender(message, fromAddr, validated);
    // A dormant region engine holds no slot: it neither votes nor acknowledges.
    if (!ctx.active && (message.type === 'preVote' || message.type === 'vote' || message.type === 'sync' || message.type === 'timeoutNow')) return;
    switch (message.type) {
      case 'discover':
        return this.discovery.onDiscover(message);
      case 'redirect':
        return this.discovery.onRedirect(message);
      case 'announce':
        return this.onAnnounce(message);
      case 'join':
        return this.membership.onJoin(message);
      case 'welcome':
        return this.membership.onWelcome(message);
      case 'hb':
        return this.membership.onHeartbeat(message, fromAddr);
      case 'hbAck':
        return this.membership.onHeartbeatAck(message);
      case 'leave':
        return this.membership.onLeave(message);
      case 'merge':
        return this.membership.onMerge(message);
      case 'regionQuery':
        return this.membership.onRegionQuery(message);
      case 'sync':
        return this.replication.onSync(message);
      case 'syncAck':
        return this.replication.onSyncAck(message);
      case 'preVote':
        return this.election.onPreVote(message);
      case 'preVoteResp':
        return this.election.onPreVoteResp(message);
      case 'vote':
        return this.election.onVote(message);
      case 'voteResp':
        return this.election.onVoteResp(message);
      case 'timeoutNow':
        return this.transfer.onTimeoutNow(message);
      case 'regionInfo':
      case 'peerSummary':
      case 'peerRedirect':
      case 'challenge':
        return;
    }
  }

  /** The region tier wakes up when this node becomes a super peer. */
  activate(): void {
    const ctx = this.ctx;
    if (ctx.active) return;
    ctx.active = true;
    ctx.leader = null;
    this.membership.welcomed = false;
    this.election.elapsed = 0;
    this.election.forgetBootstrapCampaigns();
    if (this.standSoon) this.election.standSoon();
    this.standSoon = false;
    this.startSearching();
  }

  /** The region tier goes dormant when this node stops being a super peer: it leaves, but still answers votes as a voter. */
  deactivate(reason: string): void {
    const ctx = this.ctx;
    if (!ctx.active) return;
    if (ctx.role === 'leader') this.stepDown(reason);
    if (ctx.leader !== null && ctx.leader !== ctx.self) ctx.sendTo(ctx.leader, { type: 'leave', incarnation: ctx.settings.incarnation });
    ctx.active = false;
    ctx.role = 'follower';
    ctx.leader = null;
    this.tickRole = () => this.tickFollower();
    this.discovery.stop();
    this.election.campaign = null;
  }

  /**
   * Graceful exit of a member: the leader removes it at once instead of suspecting it. `forGood`
   * (decommission) also takes it out of the voters at once; `slotEnds` names a region voter slot
   * that goes with it (the last node of a sub-grid).
   */
  leave(forGood = false, slotEnds?: string): void {
    const ctx = this.ctx;
    if (forGood) this.membership.leftForGood = true;
    const body = { type: 'leave' as const, incarnation: ctx.settings.incarnation, ...(forGood ? { forGood: true } : {}), ...(slotEnds !== undefined ? { slotEnds } : {}) };
    // Just after a handover the successor may not have announced itself yet: it is the leader to tell.
    const leader = ctx.leader ?? this.transfer.successor;
    if (leader !== null && leader !== ctx.self) ctx.sendTo(leader, body);
    // A departing voter also tells the other voters, so that a successor leader, elected before
    // the registry copy carried the departure, does not keep it either.
    if (forGood && ctx.state.view !== null) for (const voter of ctx.otherVoters(ctx.state.view)) if (voter.name !== leader) ctx.sendTo(voter.name, body, false, voter.addr);
  }

  /**
   * Sub-grid leader that left for good, whose handover failed: it takes itself out of the voters,
   * by the same joint-consensus steps as any voter change, and steps down once the view without it
   * is committed (replication.ts). Nothing else drops a leader from the voters, and once it exited
   * the other voter of a sub-grid of two could never win 2 votes of 2. A voter that does not
   * acknowledge keeps the joint view from committing: this node then exits still a voter, as
   * before, and the other never shrinks its quorum on its own.
   */
  leaveVoters(): void {
    if (this.ctx.settings.tier !== 'subgrid') return;
    this.leavingVoters = true;
    this.replication.advanceView();
  }

  /** It takes itself out of the voters (leaveVoters was called): it no longer waits for its sub-grid to leave with it. */
  get leavesVoters(): boolean {
    return this.leavingVoters;
  }

  /**
   * It started to take itself out of the voters (leaveVoters), and has seen neither that removal
   * committed nor another leader since: it may have lost its leadership (CheckQuorum) with the view
   * without itself not yet held by a quorum, which may then still need its vote.
   */
  get removalOfSelfUncommitted(): boolean {
    const ctx = this.ctx;
    return this.leavingVoters && !this.leftVotersCommitted && (ctx.leader === null || ctx.leader === ctx.self);
  }

  /**
   * Hands the leader role to the best live mirror (SIGTERM, rolling upgrades). Returns the
   * successor, or null when this node is not leader or no mirror is fit to take over.
   */
  handover(reason: 'handover' | 'rebalance' = 'handover'): string | null {
    return this.transfer.start(reason);
  }

  // ---- ticks per role -----------------------------------------------------------------------

  private tickFollower(): void {
    if (this.membership.tickMember()) this.loseLeader();
    if (this.ctx.leader === null && !this.discovery.searching) this.startSearching();
    if (this.discovery.searching) this.discovery.tick();
    this.election.tickFollower();
  }

  private tickLeader(): void {
    this.membership.tickLeader();
    this.replication.tickLeader();
    if (this.replication.quorumLost()) {
      this.stepDown('lost quorum');
      return;
    }
    this.replication.advanceView();
    const abandoned = this.transfer.tickLeader();
    if (abandoned !== null) this.abandonTransfer(abandoned);
  }

  // ---- role transitions ---------------------------------------------------------------------

  /**
   * The one reset of every transition (etcd's reset(term)): a new term forgets the vote of the
   * old one (durably), and any campaign ends and the election timer starts again.
   */
  private reset(term: number): void {
    const state = this.ctx.state;
    if (state.term !== term) {
      state.term = term;
      state.votedFor = null;
      this.ctx.persist();
    }
    this.election.reset();
  }

  private becomeFollower(term: number, leader: string | null): void {
    this.reset(term);
    this.setRole('follower');
    this.setLeader(leader);
    this.tickRole = () => this.tickFollower();
  }

  private becomePreCandidate(ballot: Ballot): void {
    this.setRole('preCandidate');
    this.election.campaign = ballot;
    this.tickRole = () => this.election.tickCampaign();
  }

  /** Moves to `term` having voted for itself (the vote store already holds that vote). */
  private becomeCandidate(ballot: Ballot, term: number): void {
    this.reset(term);
    this.ctx.state.votedFor = this.ctx.self;
    this.ctx.persist();
    this.setLeader(null);
    this.setRole('candidate');
    this.election.campaign = ballot;
    this.tickRole = () => this.election.tickCampaign();
  }

  private becomeLeader(): void {
    const ctx = this.ctx;
    const state = ctx.state;
    const previous = state.view;
    const bootstrap = this.election.campaign?.bootstrap === true;
    const tally = this.election.tally;
    const selfKey = ctx.selfKey;
    const voters: Peer[] = bootstrap ? [...tally.votes.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) : (previous?.voters ?? [ctx.selfPeer()]);
    // A new leader first commits a view of its own term before changing voters (the Raft single-change fix).
    // Naming itself as the holder of its own voter slot changes no quorum.
    state.view =
      previous === null || bootstrap
        ? { term: state.term, version: (previous?.version ?? 0) + 1, voters }
        : { ...previous, term: state.term, version: previous.version + 1, voters: previous.voters.map((peer) => (voterKey(peer) === selfKey ? ctx.selfPeer() : peer)) };
    // Won by an election, not a transfer: the leader this node followed lost the role (rebalance hold-down).
    const replaced = bootstrap || this.election.campaignIsTransfer ? null : this.lastFollowed;
    if (replaced !== null) this.transfer.replacedLostLeader(replaced);
    this.lastFollowed = null;
    this.election.dropPending();
    state.joined = true;
    ctx.persist();
    ctx.event({ type: 'electionWon', tier: ctx.settings.tier, term: state.term, votes: tally.votes.size });
    ctx.event({ type: 'viewChanged', tier: ctx.settings.tier, view: state.view });
    this.replication.viewUpdated();
    this.election.campaign = null;
    this.setRole('leader');
    this.setLeader(ctx.self);
    this.tickRole = () => this.tickLeader();
    this.leaderSince = ctx.now;
    this.discovery.stop();
    this.transfer.resetForLeader();
    this.formerRegistry = null;
    // Members that said they left for good stay out, whatever a later registry copy said (the leaver
    // registers itself while it leads, and lingers on): not kept as alive until dead and removed.
    // A name whose node signed in again since is forgotten first: the copy lists it, alive.
    for (const name of this.membership.departed.forgetSignedIn()) ctx.forgetHolder(name);
    for (const name of this.membership.departed.names()) ctx.registry.remove(name);
    ctx.registry.restartClocks(ctx.now);
    this.membership.registerSelf();
    this.replication.resetForLeader();
    const told = new Set<string>([ctx.self]);
    for (const entry of ctx.registry.list()) {
      if (told.has(entry.name)) continue;
      told.add(entry.name);
      ctx.sendTo(entry.name, { type: 'announce' }, false, entry.addr);
    }
    if (bootstrap) {
      for (const [name] of this.discovery.liveFreshPeers()) {
        if (!told.has(name)) ctx.sendTo(name, { type: 'announce' });
        told.add(name);
      }
    }
    this.replication.sendSyncs();
    this.replication.advanceView();
  }

  /** Stops leading (lost quorum, a higher term, or a dormant region tier); a transfer under way ends here. */
  private stepDown(reason: string, term = this.ctx.state.term): void {
    const ctx = this.ctx;
    if (ctx.role !== 'leader') return;
    this.formerRegistry = { term, entries: ctx.registry.toWire() };
    const transfer = this.transfer.endLeadership();
    this.becomeFollower(term, null);
    // Stepping down to give its successor the last vote: it is still the super peer to show until
    // the successor announces itself (a moment, or at most electionTimeoutMin), like its voters do.
    if (transfer?.leaderLast) this.transfer.noteTransferFrom(ctx.self);
    ctx.event({ type: 'steppedDown', tier: ctx.settings.tier, term, reason });
    if (transfer !== null) ctx.event({ type: 'handoverComplete', tier: ctx.settings.tier, successor: transfer.target });
    this.startSearching();
  }

  /**
   * Its view without itself is committed: the best remaining voter stands at once, and this node
   * stops leading. That voter is the leader to tell (its repeated leave, a member's heartbeat
   * answered with a hint). No partition is to heal: what it knew as leader is not merged into the
   * successor's registry, which would take this node back as alive until it was dead and removed.
   */
  private leftTheVoters(): void {
    this.leftVotersCommitted = true;
    const successor = this.transfer.handOffAfterRemoval();
    this.stepDown('left the voters');
    this.transfer.successor = successor;
    this.formerRegistry = null;
  }

  /**
   * Any message from a higher term makes this node a follower of that term (Raft's rule), except
   * during its own transfer: the term its target stands in is not a reason to stop serving until
   * a leader of that term speaks, or the target asks for this node's vote (`fromLeader`: announce,
   * sync, welcome, hbAck, a transfer vote request). See transfer.ts.
   */
  private observeTerm(term: number, fromLeader = false): void {
    if (term <= this.ctx.state.term) return;
    if (this.ctx.role === 'leader' && this.transfer.defers(term, fromLeader)) return;
    if (this.ctx.role === 'leader') this.stepDown('higher term', term);
    else this.becomeFollower(term, null);
  }

  /**
   * The transfer did not complete in time, and its target's term is out there (some voters moved
   * to it): this leader cannot go on in its old term, so it takes the role back through a normal
   * election in the next one. Voters that still follow it, or that lost their leader to the
   * target's failed campaign, grant it at once; if the target did win after all, the lease of its
   * voters refuses the pre-vote and this node follows the winner.
   */
  private abandonTransfer(seenTerm: number): void {
    this.stepDown('transfer abandoned', seenTerm);
    this.election.preVote(this.election.viewBallot);
  }

  /** A leader of the current (or a higher) term spoke. */
  private followLeader(name: string): void {
    const ctx = this.ctx;
    const isNew = ctx.leader !== name;
    this.becomeFollower(ctx.state.term, name);
    this.membership.leaderHeard(isNew);
    this.discovery.stop();
    if (this.formerRegistry !== null && ctx.state.term > this.formerRegistry.term) {
      // Partition healed: hand what this node knew as leader to the winner, so registries merge.
      ctx.sendTo(name, { type: 'merge', registry: this.formerRegistry.entries }, true);
      this.formerRegistry = null;
    }
    if (this.membership.heartbeatDue()) this.membership.sendHeartbeat();
  }

  private onAnnounce(message: Extract<Message, { type: 'announce' }>): void {
    const ctx = this.ctx;
    if (message.term < ctx.state.term || !ctx.active) return;
    if (ctx.role === 'leader' && message.term === ctx.state.term) return;
    this.observeTerm(message.term, true);
    this.followLeader(message.from);
  }

  private loseLeader(): void {
    const ctx = this.ctx;
    if (ctx.leader === null) return;
    ctx.event({ type: 'leaderLost', tier: ctx.settings.tier, leader: ctx.leader, term: ctx.state.term });
    this.setLeader(null);
    this.startSearching();
  }

  private startSearching(): void {
    if (!this.ctx.active) return;
    this.discovery.start();
    this.election.postponeBootstrap();
  }

  private setRole(role: ElectionRole): void {
    if (this.ctx.role === role) return;
    this.ctx.role = role;
    this.ctx.event({ type: 'roleChanged', tier: this.ctx.settings.tier, role: this.groupRole, term: this.ctx.state.term });
  }

  private setLeader(leader: string | null): void {
    if (leader !== null) this.transfer.leaderKnown();
    if (leader !== null && leader !== this.ctx.self) this.lastFollowed = leader;
    if (this.ctx.leader === leader) return;
    this.ctx.leader = leader;
    this.ctx.leaderSlow = 0;
    this.ctx.event({ type: 'leaderChanged', tier: this.ctx.settings.tier, leader, term: this.ctx.state.term });
  }
}

function structuredCloneState(state: GroupPersistentState): GroupPersistentState {
  return JSON.parse(JSON.stringify(state)) as GroupPersistentState;
}
