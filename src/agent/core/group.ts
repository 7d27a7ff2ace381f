import type {
  AgentEvent,
  Destination,
  GroupPersistentState,
  GroupRole,
  Message,
  NodeAttributes,
  Outbound,
  Peer,
  PeerRegionSummary,
  RegionSlot,
  RegistryEntryWire,
  SubgridSummary,
  Tier,
  View,
} from './types.js';
import { Registry, type MemberRecord } from './registry.js';
import { randomInt, type Random } from './prng.js';
import type { Timers } from './timers.js';
import { allVoters, bootstrapQuorum, compareViews, hasQuorum, isVoter, sameVoterKeys, sameVoters, voterKey } from './view.js';

/** Fixed facts about this node's place in one group. */
export interface GroupSettings {
  tier: Tier;
  group: string;
  self: string;
  selfAddr?: string;
  /** False for `superPeer: never`: such a node votes but never stands. */
  eligible: boolean;
  timers: Timers;
  /**
   * The first (bootstrap) election's electorate size (bootstrapQuorum), or null for a node that was
   * not born in its group's first bootstrap (added later): such a node never bootstraps, neither
   * standing nor voting; it signs in to the group that exists.
   */
  expect: number | null;
  /**
   * The electorate by name (sub-grid: node names; region: sub-grid names, i.e. voter slots), when
   * known: fresh nodes outside it are not counted, asked or answered in a bootstrap.
   */
  electorate?: ReadonlySet<string>;
  /** Mirrors besides the leader (2 to 4); together they are the voters. */
  mirrors: number;
  /** A challenger must beat the incumbent's score by this fraction (0.25 = 25 %). */
  hysteresis: number;
  /** Sub-grids discover over multicast; the region tier has no multicast group. */
  useMulticast: boolean;
  incarnation: number;
  random: Random;
  /**
   * The score this node ranks by in a bootstrap (first) election, when set: gridops renders it
   * from facts that do not change (cores, memory, preference), so the first election is the one
   * its plan shows. Live scores (load, uptime) still rank every later election.
   */
  bootstrapScore?: number;
}

/** What the group needs from the agent that hosts it. */
export interface GroupHost {
  send(out: Outbound): void;
  event(event: AgentEvent): void;
  persistChanged(): void;
  selfInfo(): { score: number; load: number; attrsVersion: number; attrs?: NodeAttributes; summary?: SubgridSummary };
  /** The region tier only lets super peers stand. */
  canStand(): boolean;
  /** The region tier is dormant on nodes that are not super peers. */
  isActive(): boolean;
  /**
   * May this node cast a bootstrap vote for `candidate` (itself when standing) in `term`? The
   * sub-grid tier always may (the node's own state file holds the vote); the region tier asks its
   * sub-grid, whose voter slot votes once per region term ('pending' while the sub-grid commits it).
   */
  bootstrapBallot(term: number, candidate: string): 'granted' | 'pending' | 'refused';
  /**
   * Region tier only: the last vote of this node's voter slot, which binds a bootstrap voter (see
   * boundTo). The sub-grid tier keeps it in its own persistent state (`bootstrapVote`).
   */
  lastBallot?(): { term: number; to: string } | null;
  /** Identity a bootstrap vote counts under: the node, or for the region tier its sub-grid. */
  ballotIdentity(): string;
  /** Region tier: the other regions, so that a regionQuery is answered for the whole grid. */
  otherRegions?(): PeerRegionSummary[];
  /**
   * Region tier only: the voter slot this node holds (its sub-grid) and the sub-grid term of its
   * leadership, or null while it is not super peer. Votes and acks count under the slot.
   */
  slot?(): { id: string; term: number } | null;
  /**
   * Region tier only: makes the vote (term, candidate) durable in the slot, i.e. committed in the
   * sub-grid view, before it counts or leaves ('pending' until then).
   */
  commitVote?(term: number, candidate: string): 'committed' | 'pending' | 'refused';
  /** Region tier only: records a newer region view in the slot. */
  recordView?(view: View): void;
  /** Region tier only: the region view the slot holds committed; this node acknowledges only that. */
  committedView?(): View | null;
}

/** Who holds a region voter slot, as last heard (the highest sub-grid term wins). */
interface SlotHolder {
  name: string;
  addr?: string;
  term: number;
}

type ElectionRole = 'follower' | 'preCandidate' | 'candidate' | 'leader';

interface FreshPeer {
  addr?: string;
  score: number;
  eligible: boolean;
  lastHeard: number;
}

interface VoterAck {
  at: number;
  viewTerm: number;
  viewVersion: number;
}

/**
 * One tier's protocol on one node: discovery, membership (heartbeats to the leader, registry
 * with suspicion), replication of the registry to mirrors, and a Raft-style election with
 * PreVote, a leader lease, joint-consensus changes of the voter set and leadership transfer.
 * Pure: driven by tick() and step(); it only talks through its host.
 */
export class GroupEngine {
  readonly registry: Registry;
  private readonly state: GroupPersistentState;
  private role: ElectionRole = 'follower';
  private leader: string | null = null;
  private now = 0;
  private electionElapsed = 0;
  private randomizedTimeout: number;
  private lastLeaderContact = Number.NEGATIVE_INFINITY;
  private lastLeaderAck = Number.NEGATIVE_INFINITY;
  /** Votes granted to this candidate, by voter key (node name, or region voter slot). */
  private votes = new Map<string, Peer>();
  /** Region tier: a granted vote waiting for its slot commit before it leaves; own vote likewise. */
  private pendingGrant: { to: string; term: number } | null = null;
  private pendingBootstrapGrant: { to: string; term: number } | null = null;
  /** Our own bootstrap ballot is being committed in the slot (region tier): stand once it is. */
  private standPending = false;
  private selfVotePending: number | null = null;
  private lastAckedView: { term: number; version: number } | null = null;
  private standSoon = false;
  private readonly holders = new Map<string, SlotHolder>();
  /** Distinct ballots behind a bootstrap campaign (sub-grids, for the region tier). */
  private ballots = new Set<string>();
  private bootstrapCampaign = false;
  /** A bootstrap pre-vote (a fresh node asking before it retries in a new term) is under way. */
  private bootstrapPreVote = false;
  /**
   * Per node: the highest term it is known not to have won, because it showed itself fresh (a
   * node that wins keeps a view forever) in a later term. Releases a bootstrap vote bound to it.
   */
  private readonly notWonUpTo = new Map<string, number>();
  private readonly addrBook = new Map<string, string>();
  /** The node this one handed its leadership to, until another leader is known. */
  private successor: string | null = null;
  /** Members (and region voter slots) that left for good: never kept as voters (cleared if they sign in again). */
  private readonly departed = new Set<string>();
  private searching = false;
  private discoverAttempt = 0;
  private nextDiscoverAt = 0;
  private searchStartedAt = 0;
  private readonly freshPeers = new Map<string, FreshPeer>();
  private bootstrapAt: number | null = null;
  private nextHeartbeatAt = 0;
  private welcomed = false;
  private leaderSince = 0;
  private readonly voterAcks = new Map<string, VoterAck>();
  private committed: { term: number; version: number } | null = null;
  private committedView: View | null = null;
  private nextSyncAt = 0;
  private registryDirty = false;
  private lastRegistrySentAt = Number.NEGATIVE_INFINITY;
  private nextQuorumCheckAt = 0;
  private nextRebalanceAt = 0;
  private transfer: { target: string; deadline: number; reason: 'handover' | 'rebalance' } | null = null;
  private formerRegistry: { term: number; entries: RegistryEntryWire[] } | null = null;
  private active: boolean;
  /** During a leadership transfer: the outgoing leader, which keeps serving until its successor wins. */
  private transferFrom: { leader: string; until: number } | null = null;

  constructor(
    private readonly settings: GroupSettings,
    private readonly host: GroupHost,
    persisted: GroupPersistentState | null,
  ) {
    this.state = persisted ? structuredCloneState(persisted) : { term: 0, votedFor: null, view: null, joined: false };
    this.registry = new Registry(settings.tier);
    this.randomizedTimeout = this.electionTimeout();
    this.active = host.isActive();
    if (this.active) this.startSearching();
  }

  // ---- read-only views -------------------------------------------------------------------

  get term(): number {
    return this.state.term;
  }

  get leaderName(): string | null {
    return this.leader;
  }

  /**
   * The leader to show (/status): the known leader, or, during a leadership transfer (SIGTERM,
   * rebalance), the outgoing one, which still serves until its successor has won. So a
   * rolling upgrade shows no moment without a super peer.
   */
  get shownLeaderName(): string | null {
    if (this.leader !== null) return this.leader;
    return this.transferFrom !== null && this.now <= this.transferFrom.until ? this.transferFrom.leader : null;
  }

  get leaderAddress(): string | undefined {
    return this.leader === null ? undefined : this.addressOf(this.leader);
  }

  get view(): View | null {
    return this.state.view;
  }

  get persistent(): GroupPersistentState {
    return structuredCloneState(this.state);
  }

  isLeader(): boolean {
    return this.role === 'leader';
  }

  get groupRole(): GroupRole {
    if (this.role === 'leader') return 'leader';
    if (this.role !== 'follower') return 'candidate';
    if (!this.active) return 'inactive';
    if (this.leader === null) return 'searching';
    return this.selfIsVoter() ? 'mirror' : 'member';
  }

  get joined(): boolean {
    return this.state.joined;
  }

  /**
   * Sub-grid leader only: commits this sub-grid's region-bootstrap ballot of region `term` in the
   * view: it is the region voter slot's vote of that term, one per term like any region vote.
   * 'pending' until a quorum of mirrors holds it, so that no successor can vote differently.
   */
  regionBallot(term: number, candidate: string): 'granted' | 'pending' | 'refused' {
    const view = this.state.view;
    if (this.role !== 'leader' || view === null || view.regionJoined) return 'refused';
    const vote = this.commitRegionVote(term, candidate);
    return vote === 'committed' ? 'granted' : vote;
  }

  /** Sub-grid leader only: records in the view that this sub-grid belongs to a region now. */
  recordRegionJoined(): void {
    const view = this.state.view;
    if (this.role !== 'leader' || view === null || view.regionJoined) return;
    this.installView({ ...view, version: view.version + 1, term: this.state.term, regionJoined: true });
  }

  /**
   * Sub-grid leader only: makes the region vote (term, candidate) durable in this sub-grid's region
   * voter slot. 'pending' until a quorum of mirrors holds it, so that a successor super peer, which
   * inherits the slot, can never vote differently in that region term.
   */
  commitRegionVote(term: number, candidate: string): 'committed' | 'pending' | 'refused' {
    const view = this.state.view;
    if (this.role !== 'leader' || view === null) return 'refused';
    const slot = regionSlotOf(view);
    if (slot.term > term) return 'refused';
    if (slot.term === term && slot.votedFor !== null) {
      if (slot.votedFor !== candidate) return 'refused';
      return compareViews(this.committed, view) >= 0 ? 'committed' : 'pending';
    }
    this.installView({ ...view, version: view.version + 1, term: this.state.term, regionSlot: { ...slot, term, votedFor: candidate } });
    return 'pending';
  }

  /** Sub-grid leader only: records a newer region view in this sub-grid's region voter slot. */
  recordRegionView(regionView: View): void {
    const view = this.state.view;
    if (this.role !== 'leader' || view === null) return;
    const slot = regionSlotOf(view);
    if (compareViews(regionView, slot.view) <= 0) return;
    this.installView({ ...view, version: view.version + 1, term: this.state.term, regionSlot: { ...slot, view: regionView } });
  }

  /** This sub-grid's region voter slot, as the view holds it. */
  get regionSlot(): RegionSlot | undefined {
    return this.state.view === null ? undefined : regionSlotOf(this.state.view);
  }

  /** Sub-grid leader only: the region view that a quorum of mirrors holds in the slot. */
  get committedRegionView(): View | null {
    return this.role === 'leader' ? (this.committedView?.regionSlot?.view ?? null) : null;
  }

  get isActive(): boolean {
    return this.active;
  }

  /**
   * Region tier, on becoming super peer: take over the sub-grid's region voter slot (region term,
   * vote and view) that the previous super peers committed in the sub-grid view.
   */
  adoptSlot(slot: RegionSlot | undefined): void {
    if (slot === undefined) return;
    if (slot.term > this.state.term) {
      this.state.term = slot.term;
      this.state.votedFor = slot.votedFor;
    } else if (slot.term === this.state.term) {
      this.state.votedFor = slot.votedFor;
    } else {
      // A vote of a later term that never reached the slot was never sent.
      this.state.votedFor = null;
    }
    // Like a Raft node, never stand in a term older than the view it holds (a leader of that term exists).
    const viewTerm = slot.view?.term ?? 0;
    if (viewTerm > this.state.term) {
      this.state.term = viewTerm;
      this.state.votedFor = null;
    }
    if (slot.view !== null && compareViews(slot.view, this.state.view) > 0) this.state.view = slot.view;
    if (slot.view !== null) this.state.joined = true;
    // Our predecessor in this slot led the region's latest term: it is gone, so stand at once.
    const mine = this.host.slot?.()?.id;
    this.standSoon =
      slot.view !== null && slot.view.term === slot.term && slot.votedFor !== null && allVoters(slot.view).some((peer) => peer.slot === mine && peer.name === slot.votedFor);
    this.pendingGrant = null;
    this.pendingBootstrapGrant = null;
    this.standPending = false;
    this.selfVotePending = null;
    this.host.persistChanged();
  }

  /**
   * Region tier: called after the sub-grid moved. Sends a granted vote once the slot holds it,
   * counts our own vote once it does, and acknowledges a newly committed region view at once.
   */
  slotProgress(): void {
    if (this.host.commitVote === undefined || !this.active) return;
    if (this.pendingBootstrapGrant !== null) {
      const pending = this.pendingBootstrapGrant;
      if (pending.term !== this.state.term || !this.isFresh() || this.state.votedFor !== null) this.pendingBootstrapGrant = null;
      else this.grantBootstrapVote(pending.term, pending.to);
    }
    if (this.standPending) {
      this.standPending = false;
      if (this.isFresh() && this.boundTo() === null && (this.role === 'follower' ? this.searching && this.leader === null : this.bootstrapPreVote)) this.standBootstrap();
    }
    if (this.pendingGrant !== null) {
      const pending = this.pendingGrant;
      if (pending.term !== this.state.term) this.pendingGrant = null;
      else {
        const result = this.host.commitVote(pending.term, pending.to);
        if (result !== 'pending') {
          this.pendingGrant = null;
          this.sendTo(pending.to, { type: 'voteResp', granted: result === 'committed', bootstrap: false });
        }
      }
    }
    if (this.selfVotePending !== null) {
      if (this.selfVotePending !== this.state.term || this.role !== 'candidate') this.selfVotePending = null;
      else {
        const result = this.host.commitVote(this.selfVotePending, this.settings.self);
        if (result === 'committed') {
          this.selfVotePending = null;
          this.votes.set(this.selfKey, this.selfPeer());
          if (this.state.view !== null && hasQuorum(this.state.view, this.grantedKeys())) this.becomeLeader();
        } else if (result === 'refused') {
          this.selfVotePending = null;
          this.setRole('follower');
          this.electionElapsed = 0;
        }
      }
    }
    if (this.role === 'follower' && this.leader !== null && this.leader !== this.settings.self) {
      const acked = this.ackedView();
      if (acked !== null && compareViews(acked, this.lastAckedView) > 0) this.sendSyncAck(this.leader);
    }
  }

  /** Voter key of this node: its name, or for the region tier its sub-grid (its voter slot). */
  private get selfKey(): string {
    return this.host.slot?.()?.id ?? this.settings.self;
  }

  /** Also by name: a region view written before voter slots existed lists nodes. */
  private selfIsVoter(): boolean {
    return isVoter(this.state.view, this.selfKey) || isVoter(this.state.view, this.settings.self);
  }

  private selfPeer(): Peer {
    const slot = this.host.slot?.();
    return { name: this.settings.self, addr: this.settings.selfAddr, ...(slot ? { slot: slot.id } : {}) };
  }

  /** Granted votes as quorum keys: slots, plus names (a region view written before slots existed lists names). */
  private grantedKeys(): Set<string> {
    const keys = new Set<string>(this.votes.keys());
    for (const peer of this.votes.values()) keys.add(peer.name);
    return keys;
  }

  /** Where a voter is reached: the current holder of its slot when known, else the node the view names. */
  private holderOf(voter: Peer): { name: string; addr?: string } {
    const holder = voter.slot === undefined ? undefined : this.holders.get(voter.slot);
    if (holder !== undefined) return { name: holder.name, addr: holder.addr ?? this.addressOf(holder.name) };
    return { name: voter.name, addr: voter.addr ?? this.addressOf(voter.name) };
  }

  private noteHolder(slot: string, name: string, addr: string | undefined, term: number): void {
    if (slot === this.host.slot?.()?.id) return;
    const known = this.holders.get(slot);
    if (known !== undefined && known.term > term) return;
    this.holders.set(slot, { name, addr: addr ?? known?.addr, term });
  }

  /** The region view this node acknowledges: what its slot holds committed (the sub-grid tier: its view). */
  private ackedView(): View | null {
    return this.host.committedView ? this.host.committedView() : this.state.view;
  }

  private sendSyncAck(to: string): void {
    const acked = this.ackedView();
    this.lastAckedView = acked === null ? null : { term: acked.term, version: acked.version };
    this.sendTo(to, { type: 'syncAck', viewTerm: acked?.term ?? 0, viewVersion: acked?.version ?? 0 });
  }

  /** Every change of this node's view goes to the slot too (region tier). */
  private viewUpdated(): void {
    if (this.state.view !== null) this.host.recordView?.(this.state.view);
  }

  addressOf(name: string): string | undefined {
    if (name === this.settings.self) return this.settings.selfAddr;
    return this.addrBook.get(name) ?? this.registry.get(name)?.addr ?? allVoters(this.state.view).find((peer) => peer.name === name)?.addr;
  }

  // ---- driving ---------------------------------------------------------------------------

  tick(): void {
    this.now++;
    if (!this.active) return;
    switch (this.role) {
      case 'leader':
        this.tickLeader();
        break;
      case 'preCandidate':
      case 'candidate':
        this.electionElapsed++;
        // A fresh node keeps discovering while it stands: its fresh peers stay known, and a leader is found.
        if ((this.bootstrapCampaign || this.bootstrapPreVote) && this.searching) this.tickDiscovery();
        if (this.electionElapsed >= this.randomizedTimeout) {
          if (this.bootstrapCampaign || this.bootstrapPreVote) this.bootstrapTimedOut();
          else this.startPreVote();
        }
        break;
      case 'follower':
        this.tickFollower();
        break;
    }
  }

  /** The region tier wakes up when this node becomes a super peer. */
  activate(): void {
    if (this.active) return;
    this.active = true;
    this.leader = null;
    this.welcomed = false;
    this.electionElapsed = 0;
    if (this.standSoon) this.randomizedTimeout = randomInt(this.settings.random, 1, this.settings.timers.rankStep);
    this.standSoon = false;
    this.startSearching();
  }

  /** The region tier goes dormant when this node stops being a super peer: it leaves, but still answers votes as a voter. */
  deactivate(reason: string): void {
    if (!this.active) return;
    if (this.role === 'leader') this.stepDown(reason);
    if (this.leader !== null && this.leader !== this.settings.self) this.sendTo(this.leader, { type: 'leave', incarnation: this.settings.incarnation });
    this.active = false;
    this.role = 'follower';
    this.leader = null;
    this.searching = false;
    this.bootstrapCampaign = false;
    this.bootstrapPreVote = false;
  }

  /**
   * Graceful exit of a member: the leader removes it at once instead of suspecting it. `forGood`
   * (decommission) also takes it out of the voters at once; `slotEnds` names a region voter slot
   * that goes with it (the last node of a sub-grid).
   */
  leave(forGood = false, slotEnds?: string): void {
    const body = { type: 'leave' as const, incarnation: this.settings.incarnation, ...(forGood ? { forGood: true } : {}), ...(slotEnds !== undefined ? { slotEnds } : {}) };
    // Just after a handover the successor may not have announced itself yet: it is the leader to tell.
    const leader = this.leader ?? this.successor;
    if (leader !== null && leader !== this.settings.self) this.sendTo(leader, body);
    // A departing voter also tells the other voters, so that a successor leader, elected before
    // the registry copy carried the departure, does not keep it either.
    if (forGood && this.state.view !== null) for (const voter of this.otherVoters(this.state.view)) if (voter.name !== leader) this.sendTo(voter.name, body, false, voter.addr);
  }

  /** Whether this node is the only live member of its registry (the last node of its group). */
  isAlone(): boolean {
    return this.registry.list().every((entry) => entry.name === this.settings.self || entry.liveness === 'dead');
  }

  /**
   * Hands the leader role to the best live mirror (SIGTERM, rolling upgrades). Returns the
   * successor, or null when this node is not leader or no mirror is fit to take over.
   */
  handover(reason: 'handover' | 'rebalance' = 'handover'): string | null {
    if (this.role !== 'leader' || this.state.view === null) return null;
    const successor = this.bestSuccessor();
    if (successor === null) return null;
    this.transfer = { target: successor, deadline: this.now + this.settings.timers.transferTimeout, reason };
    this.sendTo(successor, { type: 'timeoutNow' });
    this.host.event({ type: 'handoverStarted', tier: this.settings.tier, successor });
    return successor;
  }

  step(message: Message, fromAddr?: string): void {
    if (message.from === this.settings.self) return;
    if (fromAddr !== undefined) this.addrBook.set(message.from, fromAddr);
    if (message.slot !== undefined) {
      if (message.type === 'redirect') this.noteHolder(message.slot, message.leader, message.leaderAddr, message.slotTerm ?? 0);
      else this.noteHolder(message.slot, message.from, fromAddr, message.slotTerm ?? 0);
    }
    // A dormant region engine holds no slot: it neither votes nor acknowledges.
    if (!this.active && (message.type === 'preVote' || message.type === 'vote' || message.type === 'sync' || message.type === 'timeoutNow')) return;
    switch (message.type) {
      case 'discover':
        return this.onDiscover(message);
      case 'announce':
        return this.onAnnounce(message);
      case 'redirect':
        return this.onRedirect(message);
      case 'join':
        return this.onJoin(message);
      case 'welcome':
        return this.onWelcome(message);
      case 'hb':
        return this.onHeartbeat(message, fromAddr);
      case 'hbAck':
        return this.onHeartbeatAck(message);
      case 'sync':
        return this.onSync(message);
      case 'syncAck':
        return this.onSyncAck(message);
      case 'preVote':
        return message.bootstrap ? this.onBootstrapPreVote(message) : this.onPreVote(message);
      case 'preVoteResp':
        return message.bootstrap ? this.onBootstrapPreVoteResp(message) : this.onPreVoteResp(message);
      case 'vote':
        return message.bootstrap ? this.onBootstrapVote(message) : this.onVote(message);
      case 'voteResp':
        return this.onVoteResp(message);
      case 'timeoutNow':
        return this.onTimeoutNow(message);
      case 'leave':
        return this.onLeave(message);
      case 'merge':
        return this.onMerge(message);
      case 'regionQuery':
        return this.onRegionQuery(message);
      case 'regionInfo':
      case 'peerSummary':
      case 'peerRedirect':
      case 'challenge':
        return;
    }
  }

  // ---- follower side ---------------------------------------------------------------------

  private tickFollower(): void {
    const timers = this.settings.timers;
    if (this.leader !== null) {
      if (this.now >= this.nextHeartbeatAt) this.sendHeartbeat();
      if (this.now - this.lastLeaderAck >= timers.leaderLostTimeout && this.now - this.lastLeaderContact >= timers.leaderLostTimeout) {
        this.loseLeader();
      }
    }
    if (this.leader === null && !this.searching) this.startSearching();
    if (this.searching) this.tickDiscovery();

    if (this.canCampaign()) {
      this.electionElapsed++;
      if (this.electionElapsed >= this.randomizedTimeout) {
        if (this.leader !== null) this.loseLeader();
        this.startPreVote();
      }
    } else {
      this.tickBootstrap();
    }
  }

  private canCampaign(): boolean {
    return this.settings.eligible && this.host.canStand() && this.selfIsVoter();
  }

  private loseLeader(): void {
    if (this.leader === null) return;
    this.host.event({ type: 'leaderLost', tier: this.settings.tier, leader: this.leader, term: this.state.term });
    this.setLeader(null);
    this.startSearching();
  }

  private sendHeartbeat(): void {
    if (this.leader === null) return;
    const info = this.host.selfInfo();
    this.nextHeartbeatAt = this.now + this.settings.timers.heartbeatInterval;
    if (!this.welcomed) {
      this.sendTo(this.leader, {
        type: 'join',
        incarnation: this.settings.incarnation,
        attrsVersion: info.attrsVersion,
        eligible: this.settings.eligible,
        score: info.score,
        attrs: info.attrs,
        summary: info.summary,
        ...(this.settings.expect !== null ? { born: true } : {}),
      });
      return;
    }
    this.sendTo(this.leader, {
      type: 'hb',
      incarnation: this.settings.incarnation,
      attrsVersion: info.attrsVersion,
      load: info.load,
      score: info.score,
      members: info.summary?.members,
      viewTerm: this.state.view?.term ?? 0,
      viewVersion: this.state.view?.version ?? 0,
    });
  }

  private followLeader(name: string): void {
    if (this.role !== 'follower') this.setRole('follower');
    this.bootstrapCampaign = false;
    this.bootstrapPreVote = false;
    if (this.leader !== name) {
      this.setLeader(name);
      // A node that belonged before is most likely in the new leader's replica: try a heartbeat first.
      this.welcomed = this.state.joined;
      this.nextHeartbeatAt = this.now;
    }
    this.lastLeaderContact = this.now;
    this.lastLeaderAck = this.now;
    this.resetElectionTimer();
    this.searching = false;
    this.bootstrapAt = null;
    if (this.formerRegistry !== null && this.state.term > this.formerRegistry.term) {
      // Partition healed: hand what this node knew as leader to the winner, so registries merge.
      this.sendTo(name, { type: 'merge', registry: this.formerRegistry.entries }, true);
      this.formerRegistry = null;
    }
    if (this.now >= this.nextHeartbeatAt) this.sendHeartbeat();
  }

  // ---- discovery and bootstrap -----------------------------------------------------------

  private startSearching(): void {
    if (!this.active) return;
    this.searching = true;
    this.discoverAttempt = 0;
    this.nextDiscoverAt = this.now;
    this.searchStartedAt = this.now;
    this.bootstrapAt = null;
  }

  private tickDiscovery(): void {
    if (this.now < this.nextDiscoverAt) return;
    const timers = this.settings.timers;
    const destinations: Destination[] = [];
    // Fallback order of the issue: multicast first, then unicast seeds, then the region peer's DNS name.
    if (this.settings.useMulticast) destinations.push({ kind: 'multicast' });
    if (!this.settings.useMulticast || this.discoverAttempt >= 2) destinations.push({ kind: 'seeds' });
    if (!this.settings.useMulticast || this.discoverAttempt >= 4) destinations.push({ kind: 'regionName' });
    for (const voter of allVoters(this.state.view)) {
      const holder = this.holderOf(voter);
      if (holder.name !== this.settings.self) destinations.push({ kind: 'node', name: holder.name, addr: holder.addr });
    }
    const info = this.host.selfInfo();
    for (const dest of destinations) {
      this.send(dest, {
        type: 'discover',
        fresh: this.canBootstrap(),
        eligible: this.settings.eligible && this.host.canStand(),
        score: this.canBootstrap() ? this.bootstrapRankScore() : info.score,
        // Only a discover sent to one host (not to the multicast group) earns a redirect, or a group would answer in chorus.
        ...(dest.kind === 'multicast' ? {} : { direct: true }),
        ...(dest.kind === 'node' ? { to: dest.name } : {}),
      });
    }
    const delay = Math.min(timers.discoveryMax, timers.discoveryBase * 2 ** this.discoverAttempt);
    const jittered = Math.max(1, Math.round(delay * (0.75 + 0.5 * this.settings.random.next())));
    this.discoverAttempt++;
    this.nextDiscoverAt = this.now + jittered;
  }

  /** A node that never belonged to an established group, and has not voted in one. */
  private isFresh(): boolean {
    return !this.state.joined && this.state.view === null;
  }

  /** Fresh, and born in the group's first bootstrap (it has an electorate): it may take part in one. */
  private canBootstrap(): boolean {
    return this.settings.expect !== null && this.isFresh();
  }

  /** The bootstrap quorum of this node's electorate (unreachable without one). */
  private bootstrapNeeds(): number {
    return this.settings.expect === null ? Number.POSITIVE_INFINITY : bootstrapQuorum(this.settings.expect);
  }

  /** Is the sender (region tier: its voter slot) in this node's bootstrap electorate, when it is known by name? */
  private inElectorate(message: Message): boolean {
    const electorate = this.settings.electorate;
    return electorate === undefined || electorate.has(message.slot ?? message.from);
  }

  /**
   * The bootstrap election, Raft-style: a fresh node stands in term 1 after discovery, and a split
   * vote (or a partition) is retried in a new term after a randomised timeout, behind a bootstrap
   * pre-vote among the fresh nodes so that a node that cannot win inflates no term. Safety: each
   * node (region tier: each voter slot) votes once per term, its vote durable before it leaves, and
   * at most `expect` fresh nodes take part, so two bootstrap quorums of one term intersect. And a
   * node that gave its vote to another is bound to it until that one shows itself fresh in a later
   * term (boundTo): so once a bootstrap has been won, no later bootstrap term can be, and a second
   * group never forms.
   */
  private tickBootstrap(): void {
    const timers = this.settings.timers;
    if (!this.searching || !this.canBootstrap()) return;
    if (!this.settings.eligible || !this.host.canStand()) return;
    if (this.now - this.searchStartedAt < timers.bootstrapAfter) return;
    const live = this.liveFreshPeers();
    if (live.length + 1 < this.bootstrapNeeds()) return;
    if (this.settings.bootstrapScore !== undefined && this.now - this.searchStartedAt < timers.bootstrapGrace) {
      // A planned first election: within the grace, only the best-ranked of all expected nodes stands.
      if (live.length + 1 < this.settings.expect! || this.freshRank() > 0) return;
    }
    if (this.boundTo() !== null) {
      this.bootstrapAt = null;
      return;
    }
    if (this.bootstrapAt === null) {
      // The best-scored fresh node stands first; the others wait a rank step each. A retry waits
      // a randomised election timeout, so that a split vote does not repeat.
      this.bootstrapAt =
        this.state.term === 0 ? this.now + this.freshRank() * timers.rankStep + randomInt(this.settings.random, 0, 2) : this.now + this.freshElectionTimeout();
    }
    if (this.now < this.bootstrapAt) return;
    if (this.state.term === 0) this.standBootstrap();
    else this.startBootstrapPreVote();
  }

  /** What a fresh node ranks by: the rendered bootstrap score if any (see GroupSettings), else its live score. */
  private bootstrapRankScore(): number {
    return this.settings.bootstrapScore ?? this.host.selfInfo().score;
  }

  /** How many live eligible fresh nodes outrank this one. */
  private freshRank(): number {
    const score = this.bootstrapRankScore();
    return this.liveFreshPeers().filter(([name, peer]) => peer.eligible && this.outranks(peer.score, name, score, this.settings.self)).length;
  }

  private freshElectionTimeout(): number {
    const timers = this.settings.timers;
    return timers.electionTimeoutMin + this.freshRank() * timers.rankStep + randomInt(this.settings.random, 0, timers.electionTimeoutMax - timers.electionTimeoutMin);
  }

  /**
   * The node this one's last bootstrap vote went to, while that node may have won with it: until
   * it is seen fresh in a later term, this node votes for no one else and does not stand. (A node
   * that wins keeps a view, and so is never fresh again.) Null when free.
   */
  private boundTo(): string | null {
    const last = this.host.lastBallot ? this.host.lastBallot() : (this.state.bootstrapVote ?? null);
    if (last === null || last.to === this.settings.self) return null;
    return (this.notWonUpTo.get(last.to) ?? -1) >= last.term ? null : last.to;
  }

  private noteNotWon(name: string, term: number): void {
    if (term > (this.notWonUpTo.get(name) ?? -1)) this.notWonUpTo.set(name, term);
  }

  /** Stands in the next term: votes for itself (durably) and asks the fresh nodes. */
  private standBootstrap(): void {
    const term = this.state.term + 1;
    const ballot = this.host.bootstrapBallot(term, this.settings.self);
    if (ballot === 'refused') {
      this.bootstrapAt = null;
      this.bootstrapPreVote = false;
      if (this.role !== 'follower') this.setRole('follower');
      return;
    }
    this.standPending = ballot === 'pending';
    if (ballot === 'pending') return; // the region tier commits our own ballot first: slotProgress tries again
    this.bootstrapPreVote = false;
    this.state.term = term;
    this.state.votedFor = this.settings.self;
    this.host.persistChanged();
    this.votes = new Map([[this.selfKey, this.selfPeer()]]);
    this.ballots = new Set([this.host.ballotIdentity()]);
    this.bootstrapCampaign = true;
    this.setRole('candidate');
    this.host.event({ type: 'electionStarted', tier: this.settings.tier, term, phase: 'bootstrap' });
    this.electionElapsed = 0;
    this.randomizedTimeout = this.freshElectionTimeout();
    const score = this.bootstrapRankScore();
    for (const [name] of this.liveFreshPeers()) {
      this.sendTo(name, { type: 'vote', viewTerm: 0, viewVersion: 0, bootstrap: true, transfer: false, score });
    }
    this.checkBootstrapWin();
  }

  /** Before a retry in a new term: would a quorum of fresh nodes vote for us? Changes no state. */
  private startBootstrapPreVote(): void {
    this.bootstrapAt = null;
    this.bootstrapCampaign = false;
    this.bootstrapPreVote = true;
    this.setRole('preCandidate');
    this.ballots = new Set([this.host.ballotIdentity()]);
    this.electionElapsed = 0;
    this.randomizedTimeout = this.freshElectionTimeout();
    this.host.event({ type: 'electionStarted', tier: this.settings.tier, term: this.state.term + 1, phase: 'preVote' });
    const score = this.bootstrapRankScore();
    for (const [name] of this.liveFreshPeers()) {
      this.sendTo(name, { type: 'preVote', term: this.state.term + 1, viewTerm: 0, viewVersion: 0, bootstrap: true, score });
    }
    if (this.ballots.size >= this.bootstrapNeeds()) this.standBootstrap();
  }

  /** A bootstrap candidate or pre-candidate that did not win in time tries again, in a new term. */
  private bootstrapTimedOut(): void {
    this.bootstrapCampaign = false;
    if (this.canBootstrap() && this.settings.eligible && this.host.canStand() && this.boundTo() === null && this.liveFreshPeers().length + 1 >= this.bootstrapNeeds()) {
      // From here on a late vote for the old term is ignored: this node can no longer win it.
      this.startBootstrapPreVote();
      return;
    }
    this.bootstrapPreVote = false;
    this.setRole('follower');
    this.electionElapsed = 0;
    if (!this.searching) this.startSearching();
  }

  private checkBootstrapWin(): void {
    if (this.ballots.size >= this.bootstrapNeeds()) this.becomeLeader();
  }

  private liveFreshPeers(): [string, FreshPeer][] {
    const horizon = this.settings.timers.discoveryMax * 2;
    return [...this.freshPeers.entries()].filter(([, peer]) => this.now - peer.lastHeard <= horizon);
  }

  private outranks(scoreA: number, nameA: string, scoreB: number, nameB: string): boolean {
    return scoreA !== scoreB ? scoreA > scoreB : nameA < nameB;
  }

  private onDiscover(message: Extract<Message, { type: 'discover' }>): void {
    if (message.fresh && this.inElectorate(message)) {
      this.freshPeers.set(message.from, { addr: this.addrBook.get(message.from), score: message.score, eligible: message.eligible, lastHeard: this.now });
      // Fresh at this term, so it has won no earlier term (it can only still win the current one).
      this.noteNotWon(message.from, message.term - 1);
    }
    if (!this.active) return;
    if (this.role === 'leader') {
      this.sendTo(message.from, { type: 'announce' });
    } else if (message.direct && this.leader !== null && this.leader !== this.settings.self) {
      this.sendTo(message.from, { type: 'redirect', leader: this.leader, leaderAddr: this.addressOf(this.leader) });
    }
  }

  private onRedirect(message: Extract<Message, { type: 'redirect' }>): void {
    if (!this.active || this.leader !== null || message.leader === this.settings.self) return;
    if (message.leaderAddr !== undefined) this.addrBook.set(message.leader, message.leaderAddr);
    // A redirect is only a hint: ask the named node, and follow it once it announces itself.
    this.sendTo(message.leader, {
      type: 'discover',
      fresh: this.canBootstrap(),
      eligible: this.settings.eligible && this.host.canStand(),
      score: this.canBootstrap() ? this.bootstrapRankScore() : this.host.selfInfo().score,
      direct: true,
    });
  }

  private onAnnounce(message: Extract<Message, { type: 'announce' }>): void {
    if (message.term < this.state.term || !this.active) return;
    if (this.role === 'leader' && message.term === this.state.term) return;
    this.observeTerm(message.term);
    this.followLeader(message.from);
  }

  // ---- membership ------------------------------------------------------------------------

  private onJoin(message: Extract<Message, { type: 'join' }>): void {
    this.observeTerm(message.term);
    if (this.role !== 'leader') {
      if (this.leader !== null && this.leader !== this.settings.self) {
        this.sendTo(message.from, { type: 'redirect', leader: this.leader, leaderAddr: this.addressOf(this.leader) });
      }
      return;
    }
    this.departed.delete(message.from);
    if (message.summary !== undefined) this.departed.delete(message.summary.subgrid);
    const event = this.registry.join({ ...message, name: message.from, addr: this.addrBook.get(message.from) }, this.now);
    this.host.event(event);
    this.registryDirty = true;
    this.sendTo(message.from, { type: 'welcome' });
  }

  private onWelcome(message: Extract<Message, { type: 'welcome' }>): void {
    if (message.term < this.state.term) return;
    this.observeTerm(message.term);
    this.followLeader(message.from);
    this.welcomed = true;
    if (!this.state.joined) {
      this.state.joined = true;
      this.host.persistChanged();
    }
  }

  private onHeartbeat(message: Extract<Message, { type: 'hb' }>, fromAddr: string | undefined): void {
    this.observeTerm(message.term);
    if (this.role !== 'leader') {
      const hint = this.leader !== null && this.leader !== this.settings.self ? this.leader : undefined;
      this.sendTo(message.from, { type: 'hbAck', known: false, notLeader: true, leader: hint, leaderAddr: hint ? this.addressOf(hint) : undefined });
      return;
    }
    const result = this.registry.heartbeat(message.from, message, fromAddr, this.now);
    if (result.event) this.host.event(result.event);
    // A member with an older view (say, a mirror that was replaced) learns the current one, so it stops acting as a voter.
    const stale = compareViews({ term: message.viewTerm, version: message.viewVersion }, this.state.view) < 0;
    this.sendTo(message.from, { type: 'hbAck', known: result.known, ...(stale && this.state.view ? { view: this.state.view } : {}) });
  }

  private onHeartbeatAck(message: Extract<Message, { type: 'hbAck' }>): void {
    if (message.from !== this.leader || this.role === 'leader') return;
    if (message.notLeader) {
      this.setLeader(null);
      this.startSearching();
      if (message.leader !== undefined) this.onRedirect({ ...message, type: 'redirect', leader: message.leader });
      return;
    }
    if (message.term < this.state.term) return;
    this.observeTerm(message.term);
    this.lastLeaderAck = this.now;
    if (message.view !== undefined && compareViews(message.view, this.state.view) > 0) {
      this.state.view = message.view;
      this.host.event({ type: 'viewChanged', tier: this.settings.tier, view: message.view });
      this.host.persistChanged();
      this.viewUpdated();
    }
    if (!message.known && this.welcomed) {
      this.welcomed = false;
      this.sendHeartbeat();
    }
  }

  private onLeave(message: Extract<Message, { type: 'leave' }>): void {
    if (message.forGood) {
      // Decommissioned, not restarting. A voter remembers it too (and drops it from its registry
      // copy), so that a successor leader elected before the next sync does not keep it.
      this.departed.add(message.from);
      if (message.slotEnds !== undefined) this.departed.add(message.slotEnds);
      if (this.role !== 'leader') this.registry.leave(message.from, message.incarnation);
    }
    if (this.role !== 'leader') return;
    const event = this.registry.leave(message.from, message.incarnation);
    if (event) {
      this.host.event(event);
      this.registryDirty = true;
    }
    // Decommissioned: out of the voters now, by joint consensus, not after a grace.
    if (message.forGood) this.advanceView();
  }

  private onMerge(message: Extract<Message, { type: 'merge' }>): void {
    if (this.role !== 'leader') return;
    const merged = this.registry.mergeFrom(message.registry, this.now);
    if (merged === 0) return;
    this.registryDirty = true;
    for (const entry of message.registry) {
      if (entry.name !== this.settings.self) this.sendTo(entry.name, { type: 'announce' }, false, entry.addr);
    }
  }

  private onRegionQuery(message: Extract<Message, { type: 'regionQuery' }>): void {
    if (this.role !== 'leader') {
      if (this.leader !== null) this.sendTo(message.from, { type: 'redirect', leader: this.leader, leaderAddr: this.addressOf(this.leader) });
      return;
    }
    const superPeers = this.registry.list().map((entry) => ({
      name: entry.name,
      subgrid: entry.summary?.subgrid ?? '',
      members: entry.summary?.members ?? 0,
      liveness: entry.liveness,
    }));
    const totalNodes = superPeers.filter((peer) => peer.liveness !== 'dead').reduce((sum, peer) => sum + peer.members, 0);
    const regions = this.host.otherRegions?.() ?? [];
    this.sendTo(message.from, { type: 'regionInfo', superPeers, totalNodes, ...(regions.length > 0 ? { regions } : {}) }, regions.length > 8);
  }

  // ---- replication to mirrors -------------------------------------------------------------

  private onSync(message: Extract<Message, { type: 'sync' }>): void {
    if (message.term < this.state.term) {
      // A deposed leader learns the newer term from the answer and steps down.
      this.sendSyncAck(message.from);
      return;
    }
    this.observeTerm(message.term);
    if (this.role === 'leader') return;
    this.followLeader(message.from);
    if (compareViews(message.view, this.state.view) > 0) {
      this.state.view = message.view;
      this.host.event({ type: 'viewChanged', tier: this.settings.tier, view: message.view });
      this.host.persistChanged();
      this.viewUpdated();
    }
    if (!this.state.joined) {
      this.state.joined = true;
      this.host.persistChanged();
    }
    if (message.registry) this.registry.replaceFrom(message.registry, this.now);
    this.sendSyncAck(message.from);
  }

  private onSyncAck(message: Extract<Message, { type: 'syncAck' }>): void {
    if (message.term > this.state.term) {
      this.observeTerm(message.term);
      return;
    }
    if (this.role !== 'leader' || message.term !== this.state.term) return;
    this.voterAcks.set(message.slot ?? message.from, { at: this.now, viewTerm: message.viewTerm, viewVersion: message.viewVersion });
    this.advanceView();
  }

  // ---- election ---------------------------------------------------------------------------

  /** Rank follows the registry replica, which changes over time: redraw on every reset. */
  private resetElectionTimer(): void {
    this.electionElapsed = 0;
    if (this.selfIsVoter()) this.randomizedTimeout = this.electionTimeout();
  }

  private electionTimeout(): number {
    const timers = this.settings.timers;
    return timers.electionTimeoutMin + this.rank() * timers.rankStep + randomInt(this.settings.random, 0, timers.electionTimeoutMax - timers.electionTimeoutMin);
  }

  /** 0 for the best-scored voter that could stand, so that it usually times out first. */
  private rank(): number {
    const selfScore = this.host.selfInfo().score;
    let rank = 0;
    for (const voter of allVoters(this.state.view)) {
      const holder = this.holderOf(voter).name;
      if (voterKey(voter) === this.selfKey || holder === this.settings.self || holder === this.leader) continue;
      const entry = this.registry.get(holder);
      if (entry === undefined || !entry.eligible || entry.liveness === 'dead') continue;
      if (this.outranks(entry.score, holder, selfScore, this.settings.self)) rank++;
    }
    return rank;
  }

  private leaseActive(candidate: string): boolean {
    if (this.role === 'leader') return true;
    return this.leader !== null && this.leader !== candidate && this.now - this.lastLeaderContact < this.settings.timers.electionTimeoutMin;
  }

  private startPreVote(): void {
    const view = this.state.view;
    if (view === null || !this.canCampaign()) {
      this.setRole('follower');
      this.electionElapsed = 0;
      return;
    }
    this.setRole('preCandidate');
    this.votes = new Map([[this.selfKey, this.selfPeer()]]);
    this.electionElapsed = 0;
    this.randomizedTimeout = this.electionTimeout();
    this.host.event({ type: 'electionStarted', tier: this.settings.tier, term: this.state.term + 1, phase: 'preVote' });
    for (const voter of this.otherVoters(view)) {
      this.sendTo(voter.name, { type: 'preVote', term: this.state.term + 1, viewTerm: view.term, viewVersion: view.version }, false, voter.addr);
    }
    if (hasQuorum(view, this.grantedKeys())) this.campaign(false);
  }

  private campaign(transfer: boolean): void {
    const view = this.state.view;
    if (view === null) return;
    this.state.term += 1;
    this.state.votedFor = this.settings.self;
    this.host.persistChanged();
    this.setLeader(null);
    this.setRole('candidate');
    this.votes = new Map();
    this.selfVotePending = null;
    // Our own vote counts at once, or (region tier) once the sub-grid holds it in our voter slot.
    const own = this.host.commitVote?.(this.state.term, this.settings.self) ?? 'committed';
    if (own === 'committed') this.votes.set(this.selfKey, this.selfPeer());
    else if (own === 'pending') this.selfVotePending = this.state.term;
    this.electionElapsed = 0;
    this.randomizedTimeout = this.electionTimeout();
    this.host.event({ type: 'electionStarted', tier: this.settings.tier, term: this.state.term, phase: transfer ? 'transfer' : 'vote' });
    const score = this.host.selfInfo().score;
    for (const voter of this.otherVoters(view)) {
      this.sendTo(
        voter.name,
        { type: 'vote', viewTerm: view.term, viewVersion: view.version, bootstrap: false, transfer, score },
        false,
        voter.addr,
      );
    }
    if (hasQuorum(view, this.grantedKeys())) this.becomeLeader();
  }

  /** The voters of a view other than this node, each as the node that holds its vote now. */
  private otherVoters(view: View): { name: string; addr?: string }[] {
    const selfKey = this.selfKey;
    const targets = new Map<string, { name: string; addr?: string }>();
    for (const voter of allVoters(view)) {
      if (voterKey(voter) === selfKey) continue;
      const holder = this.holderOf(voter);
      if (holder.name !== this.settings.self) targets.set(holder.name, holder);
    }
    return [...targets.values()];
  }

  /** The voter key a message counts under: the sender's region slot, or its name. */
  private peerOf(message: Message): [string, Peer] {
    const key = message.slot ?? message.from;
    return [key, { name: message.from, addr: this.addressOf(message.from), ...(message.slot !== undefined ? { slot: message.slot } : {}) }];
  }

  private onPreVote(message: Extract<Message, { type: 'preVote' }>): void {
    // PreVote changes nothing here: a partitioned node cannot inflate terms and unseat a healthy leader.
    const upToDate = compareViews({ term: message.viewTerm, version: message.viewVersion }, this.state.view) >= 0;
    const granted = message.term > this.state.term && upToDate && !this.leaseActive(message.from);
    this.sendTo(message.from, { type: 'preVoteResp', forTerm: message.term, granted });
  }

  private onPreVoteResp(message: Extract<Message, { type: 'preVoteResp' }>): void {
    if (message.term > this.state.term) {
      this.observeTerm(message.term);
      return;
    }
    if (this.role !== 'preCandidate' || message.forTerm !== this.state.term + 1 || !message.granted || this.state.view === null) return;
    this.votes.set(...this.peerOf(message));
    if (hasQuorum(this.state.view, this.grantedKeys())) this.campaign(false);
  }

  private onVote(message: Extract<Message, { type: 'vote' }>): void {
    if (!message.transfer && this.leaseActive(message.from)) {
      this.sendTo(message.from, { type: 'voteResp', granted: false, bootstrap: false });
      return;
    }
    if (message.transfer && message.term > this.state.term && this.leader !== null && this.role === 'follower') this.noteTransferFrom(this.leader);
    this.observeTerm(message.term);
    const upToDate = compareViews({ term: message.viewTerm, version: message.viewVersion }, this.state.view) >= 0;
    const free = this.state.votedFor === null || this.state.votedFor === message.from;
    let granted = message.term === this.state.term && free && upToDate;
    if (granted) {
      this.state.votedFor = message.from;
      this.host.persistChanged();
      this.resetElectionTimer();
      // Region tier: the vote leaves only once the sub-grid holds it in our voter slot.
      const durable = this.host.commitVote?.(message.term, message.from) ?? 'committed';
      if (durable === 'pending') {
        this.pendingGrant = { to: message.from, term: message.term };
        return;
      }
      granted = durable === 'committed';
    }
    this.sendTo(message.from, { type: 'voteResp', granted, bootstrap: false });
  }

  /** Answers a node that is not fresh: point the candidate at the group that exists. */
  private answerNotFresh(from: string): void {
    if (this.role === 'leader') this.sendTo(from, { type: 'announce' });
    else if (this.leader !== null && this.leader !== this.settings.self) this.sendTo(from, { type: 'redirect', leader: this.leader, leaderAddr: this.addressOf(this.leader) });
  }

  private onBootstrapPreVote(message: Extract<Message, { type: 'preVote' }>): void {
    if (!this.inElectorate(message)) return this.answerNotFresh(message.from);
    this.freshPeers.set(message.from, { addr: this.addrBook.get(message.from), score: message.score ?? 0, eligible: true, lastHeard: this.now });
    // It asks for `term` from a lower term, and is no candidate any more: it has won no term below.
    this.noteNotWon(message.from, message.term - 1);
    if (!this.canBootstrap()) return this.answerNotFresh(message.from);
    const bound = this.boundTo();
    const granted = message.term > this.state.term && (bound === null || bound === message.from) && this.leader === null;
    if (granted) this.bootstrapAt = null; // someone is trying: give it a full timeout
    this.sendTo(message.from, { type: 'preVoteResp', forTerm: message.term, granted, bootstrap: true, ballotOf: this.host.ballotIdentity() });
  }

  private onBootstrapPreVoteResp(message: Extract<Message, { type: 'preVoteResp' }>): void {
    if (message.term > this.state.term) {
      this.observeTerm(message.term);
      return;
    }
    if (this.role !== 'preCandidate' || !this.bootstrapPreVote || message.forTerm !== this.state.term + 1 || !message.granted) return;
    this.ballots.add(message.ballotOf ?? message.from);
    if (this.ballots.size >= this.bootstrapNeeds()) this.standBootstrap();
  }

  private onBootstrapVote(message: Extract<Message, { type: 'vote' }>): void {
    if (!this.inElectorate(message)) return this.answerNotFresh(message.from);
    this.freshPeers.set(message.from, {
      addr: this.addrBook.get(message.from),
      score: message.score,
      eligible: true,
      lastHeard: this.now,
    });
    // A candidate of `term`: it has won no earlier term.
    this.noteNotWon(message.from, message.term - 1);
    // A node of an existing group, or one added after the first bootstrap, never takes part (nor moves to the candidate's term).
    if (!this.canBootstrap()) return this.answerNotFresh(message.from);
    if (message.term > this.state.term) this.observeTerm(message.term);
    const free = this.state.votedFor === null || this.state.votedFor === message.from;
    const bound = this.boundTo();
    // In term 1, a better-scored node keeps its vote for itself: it will stand first. Retries are plain Raft.
    const iStandFirst =
      message.term === 1 &&
      this.state.votedFor === null &&
      this.settings.eligible &&
      this.host.canStand() &&
      this.outranks(this.bootstrapRankScore(), this.settings.self, message.score, message.from);
    const granted = message.term === this.state.term && free && (bound === null || bound === message.from) && !iStandFirst;
    if (granted) this.grantBootstrapVote(message.term, message.from);
    else this.sendTo(message.from, { type: 'voteResp', granted: false, bootstrap: true, ballotOf: this.host.ballotIdentity() });
  }

  /** Casts the bootstrap vote once it is durable (region tier: once the sub-grid holds it in the slot). */
  private grantBootstrapVote(term: number, to: string): void {
    const ballot = this.host.bootstrapBallot(term, to);
    if (ballot === 'pending') {
      this.pendingBootstrapGrant = { to, term };
      return;
    }
    this.pendingBootstrapGrant = null;
    const granted = ballot === 'granted';
    if (granted) {
      this.state.votedFor = to;
      this.state.bootstrapVote = { term, to };
      this.host.persistChanged();
      this.bootstrapAt = null;
    }
    this.sendTo(to, { type: 'voteResp', granted, bootstrap: true, ballotOf: this.host.ballotIdentity() });
  }

  private onVoteResp(message: Extract<Message, { type: 'voteResp' }>): void {
    if (message.term > this.state.term) {
      this.observeTerm(message.term);
      return;
    }
    if (this.role !== 'candidate' || message.term !== this.state.term || !message.granted) return;
    if (message.bootstrap !== this.bootstrapCampaign) return;
    this.votes.set(...this.peerOf(message));
    if (message.bootstrap) this.ballots.add(message.ballotOf ?? message.from);
    if (this.bootstrapCampaign) this.checkBootstrapWin();
    else if (this.state.view !== null && hasQuorum(this.state.view, this.grantedKeys())) this.becomeLeader();
  }

  private onTimeoutNow(message: Extract<Message, { type: 'timeoutNow' }>): void {
    if (message.from !== this.leader || message.term !== this.state.term || !this.canCampaign()) return;
    this.noteTransferFrom(message.from);
    this.campaign(true);
  }

  /** Any message from a higher term makes this node a follower of that term (Raft's rule). */
  private observeTerm(term: number): void {
    if (term <= this.state.term) return;
    const wasLeader = this.role === 'leader';
    this.state.term = term;
    this.state.votedFor = null;
    this.host.persistChanged();
    if (wasLeader) this.stepDown('higher term');
    else if (this.role !== 'follower') this.setRole('follower');
    this.bootstrapCampaign = false;
    this.bootstrapPreVote = false;
    this.bootstrapAt = null;
    this.setLeader(null);
  }

  // ---- leader side ---------------------------------------------------------------------

  private becomeLeader(): void {
    const previous = this.state.view;
    const selfKey = this.selfKey;
    const voters: Peer[] = this.bootstrapCampaign
      ? [...this.votes.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      : (previous?.voters ?? [this.selfPeer()]);
    // A new leader first commits a view of its own term before changing voters (the Raft single-change fix).
    // Naming itself as the holder of its own voter slot changes no quorum.
    this.state.view =
      previous === null || this.bootstrapCampaign
        ? { term: this.state.term, version: (previous?.version ?? 0) + 1, voters }
        : { ...previous, term: this.state.term, version: previous.version + 1, voters: previous.voters.map((peer) => (voterKey(peer) === selfKey ? this.selfPeer() : peer)) };
    this.selfVotePending = null;
    this.pendingGrant = null;
    this.committed = null;
    this.committedView = null;
    this.state.joined = true;
    this.host.persistChanged();
    this.host.event({ type: 'electionWon', tier: this.settings.tier, term: this.state.term, votes: this.votes.size });
    this.host.event({ type: 'viewChanged', tier: this.settings.tier, view: this.state.view });
    this.viewUpdated();
    const bootstrap = this.bootstrapCampaign;
    this.bootstrapCampaign = false;
    this.setRole('leader');
    this.setLeader(this.settings.self);
    this.leaderSince = this.now;
    this.searching = false;
    this.transfer = null;
    this.formerRegistry = null;
    this.voterAcks.clear();
    this.registry.restartClocks(this.now);
    this.registerSelf();
    this.registryDirty = true;
    this.nextQuorumCheckAt = this.now + this.settings.timers.electionTimeoutMax;
    this.nextRebalanceAt = this.now + this.settings.timers.rebalanceInterval;
    const told = new Set<string>([this.settings.self]);
    for (const entry of this.registry.list()) {
      if (told.has(entry.name)) continue;
      told.add(entry.name);
      this.sendTo(entry.name, { type: 'announce' }, false, entry.addr);
    }
    if (bootstrap) {
      for (const [name] of this.liveFreshPeers()) {
        if (!told.has(name)) this.sendTo(name, { type: 'announce' });
        told.add(name);
      }
    }
    this.sendSyncs();
    this.advanceView();
  }

  private registerSelf(): void {
    const info = this.host.selfInfo();
    const existing = this.registry.get(this.settings.self);
    if (existing && existing.incarnation === this.settings.incarnation && existing.attrsVersion === info.attrsVersion) {
      this.registry.heartbeat(this.settings.self, { ...info, incarnation: this.settings.incarnation, members: info.summary?.members }, this.settings.selfAddr, this.now);
      return;
    }
    this.registry.join(
      {
        name: this.settings.self,
        addr: this.settings.selfAddr,
        incarnation: this.settings.incarnation,
        attrsVersion: info.attrsVersion,
        eligible: this.settings.eligible,
        score: info.score,
        attrs: info.attrs,
        summary: info.summary,
        born: true,
      },
      this.now,
    );
  }

  private tickLeader(): void {
    const timers = this.settings.timers;
    this.registerSelf();
    for (const event of this.registry.sweep(this.now, timers, this.settings.self)) {
      this.host.event(event);
      if (event.type === 'member' && (event.change === 'dead' || event.change === 'removed')) this.registryDirty = true;
    }
    if (this.registry.stabilize(this.now, timers.stabilizationTime)) this.registryDirty = true;
    if (this.now >= this.nextSyncAt) this.sendSyncs();
    if (this.now >= this.nextQuorumCheckAt) {
      this.nextQuorumCheckAt = this.now + timers.electionTimeoutMax;
      // CheckQuorum: a leader cut off from most voters stops serving instead of lingering.
      if (!this.hasRecentQuorum(timers.electionTimeoutMax)) {
        this.stepDown('lost quorum');
        return;
      }
    }
    this.advanceView();
    if (this.transfer !== null && this.now > this.transfer.deadline) this.transfer = null;
    if (this.now >= this.nextRebalanceAt) {
      this.nextRebalanceAt = this.now + timers.rebalanceInterval;
      this.maybeHandOverToBetter();
    }
  }

  private hasRecentQuorum(window: number): boolean {
    const view = this.state.view;
    if (view === null) return false;
    const recent = new Set([this.selfKey]);
    for (const [key, ack] of this.voterAcks) if (this.now - ack.at <= window) recent.add(key);
    return hasQuorum(view, recent);
  }

  private sendSyncs(): void {
    const view = this.state.view;
    if (view === null) return;
    this.nextSyncAt = this.now + this.settings.timers.syncInterval;
    const withRegistry = this.registryDirty || this.now - this.lastRegistrySentAt >= this.settings.timers.registryRefreshInterval;
    const registry = withRegistry ? this.registry.toWire() : undefined;
    if (withRegistry) {
      this.registryDirty = false;
      this.lastRegistrySentAt = this.now;
    }
    for (const voter of this.otherVoters(view)) {
      this.sendTo(voter.name, { type: 'sync', view, registry }, registry !== undefined, voter.addr);
    }
  }

  /** Drives the voter set towards the desired mirrors, one joint-consensus step at a time. */
  private advanceView(): void {
    const view = this.state.view;
    if (view === null || this.role !== 'leader') return;
    const acked = new Set<string>();
    // Region tier: our own acknowledgement counts once our sub-grid holds the view in our voter slot.
    if (compareViews(this.ackedView(), view) >= 0) acked.add(this.selfKey);
    for (const [key, ack] of this.voterAcks) {
      if (compareViews({ term: ack.viewTerm, version: ack.viewVersion }, view) >= 0) acked.add(key);
    }
    if (!hasQuorum(view, acked)) return;
    this.committed = { term: view.term, version: view.version };
    this.committedView = view;
    let next: View | null = null;
    if (view.oldVoters !== undefined) {
      next = { ...view, term: this.state.term, version: view.version + 1 };
      delete next.oldVoters;
    } else {
      const desired = this.desiredVoters(view.voters);
      if (!sameVoterKeys(desired, view.voters)) next = { ...view, term: this.state.term, version: view.version + 1, voters: desired, oldVoters: view.voters };
      // A voter slot passed to its sub-grid's new super peer: the same quorums, a new holder.
      else if (!sameVoters(desired, view.voters)) next = { ...view, term: this.state.term, version: view.version + 1, voters: desired };
    }
    if (next !== null) this.installView(next);
  }

  private installView(next: View): void {
    this.state.view = next;
    this.host.persistChanged();
    this.host.event({ type: 'viewChanged', tier: this.settings.tier, view: next });
    this.viewUpdated();
    this.sendSyncs();
  }

  /**
   * The leader plus the best live eligible members. Current mirrors stay unless dead (or gone
   * from the registry after a grace period), or unless someone beats the weakest one by the
   * hysteresis margin: churning voters costs two commits each time.
   */
  private desiredVoters(current: Peer[]): Peer[] {
    const settings = this.settings;
    const selfKey = this.selfKey;
    const graceOver = this.now - this.leaderSince > 2 * settings.timers.suspectAfter;
    // Region tier: a voter is a slot (a sub-grid), held by whichever live super peer it has now.
    const slotted = this.host.slot !== undefined;
    const keyOf = (entry: MemberRecord): string => (slotted ? (entry.summary?.subgrid ?? entry.name) : entry.name);
    const asPeer = (entry: MemberRecord): Peer => ({ name: entry.name, addr: entry.addr, ...(slotted ? { slot: keyOf(entry) } : {}) });
    const liveByKey = new Map<string, MemberRecord>();
    const anyByKey = new Set<string>();
    for (const entry of this.registry.list()) {
      anyByKey.add(keyOf(entry));
      if (!entry.eligible || entry.liveness === 'dead' || this.departed.has(keyOf(entry))) continue;
      const known = liveByKey.get(keyOf(entry));
      if (known === undefined || (known.liveness !== 'alive' && entry.liveness === 'alive')) liveByKey.set(keyOf(entry), entry);
    }
    const kept: Peer[] = [];
    for (const peer of current) {
      const key = voterKey(peer);
      if (key === selfKey || peer.name === settings.self) continue;
      const entry = liveByKey.get(key);
      if (entry !== undefined) kept.push({ ...peer, ...asPeer(entry), addr: entry.addr ?? peer.addr });
      else if (!anyByKey.has(key) && !graceOver && !this.departed.has(key) && !this.departed.has(peer.name)) kept.push(peer);
    }
    kept.unshift(this.selfPeer());
    const keptKeys = new Set(kept.map(voterKey));
    const challengers = [...liveByKey.entries()]
      // Autopilot: a member that signed in later becomes a voter only once it is stable.
      .filter(([key, entry]) => entry.liveness === 'alive' && entry.stable !== false && !keptKeys.has(key))
      .map(([, entry]) => entry)
      .sort((a, b) => (this.outranks(a.score, a.name, b.score, b.name) ? -1 : 1));
    const target = 1 + settings.mirrors;
    while (kept.length < target && challengers.length > 0) kept.push(asPeer(challengers.shift()!));
    const scoreOf = (name: string): number => this.registry.get(name)?.score ?? 0;
    const mirrors = kept.filter((peer) => peer.name !== settings.self).sort((a, b) => scoreOf(a.name) - scoreOf(b.name));
    const weakest = mirrors[0];
    const best = challengers[0];
    if (weakest !== undefined && best !== undefined && kept.length >= target && best.score > scoreOf(weakest.name) * (1 + settings.hysteresis)) {
      kept.splice(kept.indexOf(weakest), 1, asPeer(best));
    }
    while (kept.length > target) {
      const weakestNow = kept.filter((peer) => peer.name !== settings.self).sort((a, b) => scoreOf(a.name) - scoreOf(b.name))[0]!;
      kept.splice(kept.indexOf(weakestNow), 1);
    }
    return kept.map((peer) => ({ ...peer, addr: this.registry.get(peer.name)?.addr ?? peer.addr }));
  }

  /** Hysteresis: only a mirror that beats this leader by the margin takes over, and only by transfer. */
  private maybeHandOverToBetter(): void {
    if (this.transfer !== null) return;
    const successor = this.bestSuccessor();
    if (successor === null) return;
    const selfScore = this.host.selfInfo().score;
    const successorScore = this.registry.get(successor)?.score ?? 0;
    if (successorScore > selfScore * (1 + this.settings.hysteresis)) this.handover('rebalance');
  }

  /** The best-scored voter that acknowledged the current view recently: it is up to date and alive. */
  private bestSuccessor(): string | null {
    const view = this.state.view;
    if (view === null) return null;
    let best: { name: string; score: number } | null = null;
    for (const voter of allVoters(view)) {
      if (voterKey(voter) === this.selfKey) continue;
      const holder = this.holderOf(voter).name;
      if (holder === this.settings.self) continue;
      const ack = this.voterAcks.get(voterKey(voter));
      const entry = this.registry.get(holder);
      if (ack === undefined || entry === undefined || !entry.eligible || entry.liveness !== 'alive') continue;
      if (this.now - ack.at > this.settings.timers.electionTimeoutMin) continue;
      if (compareViews({ term: ack.viewTerm, version: ack.viewVersion }, view) < 0) continue;
      if (best === null || this.outranks(entry.score, holder, best.score, best.name)) best = { name: holder, score: entry.score };
    }
    return best?.name ?? null;
  }

  private stepDown(reason: string): void {
    if (this.role !== 'leader') return;
    this.formerRegistry = { term: this.state.term, entries: this.registry.toWire() };
    const transfer = this.transfer;
    this.transfer = null;
    this.successor = transfer?.target ?? null;
    this.setRole('follower');
    this.setLeader(null);
    this.electionElapsed = 0;
    this.host.event({ type: 'steppedDown', tier: this.settings.tier, term: this.state.term, reason });
    if (transfer !== null) this.host.event({ type: 'handoverComplete', tier: this.settings.tier, successor: transfer.target });
    this.startSearching();
  }

  // ---- plumbing ---------------------------------------------------------------------------

  private setRole(role: ElectionRole): void {
    if (this.role === role) return;
    this.role = role;
    this.host.event({ type: 'roleChanged', tier: this.settings.tier, role: this.groupRole, term: this.state.term });
  }

  private noteTransferFrom(leader: string): void {
    this.transferFrom = { leader, until: this.now + this.settings.timers.electionTimeoutMin };
  }

  private setLeader(leader: string | null): void {
    if (leader !== null) this.transferFrom = null;
    if (this.leader === leader) return;
    this.leader = leader;
    this.host.event({ type: 'leaderChanged', tier: this.settings.tier, leader, term: this.state.term });
  }

  private sendTo(name: string, body: MessageBody, bulk = false, addr?: string): void {
    this.send({ kind: 'node', name, addr: addr ?? this.addressOf(name) }, { ...body, to: name }, bulk);
  }

  /** Messages carry the current term, except a pre-vote, which names the term it would start. */
  private send(dest: Destination, body: MessageBody & { to?: string }, bulk = false): void {
    const slot = this.active ? this.host.slot?.() : null;
    const stamp = slot ? { slot: slot.id, slotTerm: slot.term } : {};
    const message = { tier: this.settings.tier, group: this.settings.group, from: this.settings.self, term: this.state.term, ...stamp, ...body } as Message;
    this.host.send(bulk ? { dest, message, bulk } : { dest, message });
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type MessageBody = DistributiveOmit<Message, 'tier' | 'group' | 'from' | 'term' | 'to'> & { term?: number };

/**
 * A sub-grid's region voter slot. The region-bootstrap ballot is the slot's vote in region term 1
 * (it was committed in the view before it was cast), so it counts as such.
 */
function regionSlotOf(view: View): RegionSlot {
  const slot: RegionSlot = view.regionSlot ?? { term: 0, votedFor: null, view: null };
  if (slot.term < 1 && view.regionBallot !== undefined) return { ...slot, term: 1, votedFor: view.regionBallot };
  return slot;
}

function structuredCloneState(state: GroupPersistentState): GroupPersistentState {
  return JSON.parse(JSON.stringify(state)) as GroupPersistentState;
}
