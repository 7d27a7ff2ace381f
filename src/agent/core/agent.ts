import { RegionDirectory } from './directory.js';
import { GroupEngine, type GroupHost } from './group/engine.js';
import { PacketGuard } from './guard.js';
import { RegionSlotVoteStore, type RegionSlotKeeper } from './vote-store-region-slot.js';
import { StateFileVoteStore } from './vote-store-state-file.js';
import { seededRandom, type Random } from './prng.js';
import { announcedScore, standingScore } from './score.js';
import { LocalHealth } from './local-health.js';
import { REGION_TIMERS, SUBGRID_TIMERS, type Timers } from './timers.js';
import type {
  AgentEvent,
  GroupRole,
  Liveness,
  Message,
  NodeAttributes,
  Outbound,
  Packet,
  PeerRegionSummary,
  PersistentState,
  Ready,
  RegionName,
  SuperPeerPreference,
  Tier,
} from './types.js';
import { allVoters, voterKey } from './view.js';
import { subgridHolders } from './subgrid-holders.js';

/** Normalised configuration the core needs (the runtime builds it from the config file). */
export interface AgentSettings {
  name: string;
  region: string;
  subgrid: string;
  /** Opaque address others should use to reach this node (host:port in the runtime). */
  addr?: string;
  superPeer: SuperPeerPreference;
  attrs: NodeAttributes;
  /**
   * The sub-grid's first-bootstrap electorate size (bootstrap_expect). Absent on a node that was
   * added after its sub-grid's first bootstrap: it never bootstraps, it signs in.
   */
  expect?: number;
  /** The same electorate by node name, when known (the bootstrap file lists it): only these take part. */
  electorate?: string[];
  /** The region's first-bootstrap electorate size, in sub-grids. Absent for a sub-grid added to a running region. */
  regionExpect?: number;
  /** The same by sub-grid name, when known. */
  regionElectorate?: string[];
  mirrors: number;
  hysteresis: number;
  timers?: Partial<Timers>;
  regionTimers?: Partial<Timers>;
  /**
   * Regions to look for when this node is region peer and knows no other region yet (the join
   * list, written once: a new region's peer finds the grid through it). Every other region is
   * learned from summaries, additively.
   */
  peerRegions?: Array<string | RegionName>;
  /** The DNS name of our own region peer, told to the other regions so that they can probe it. */
  regionPeerName?: string;
  /**
   * Whether the sub-grid discovers over multicast first (default true; the runtime: whether the
   * config has `multicast`). Without, the first discover goes to the seeds and the region peer's
   * name at once: two rounds to a group nobody listens on held them back 0.6 s and 3 s.
   */
  multicast?: boolean;
  /** Length of a tick in ms, only to show ages in /status (default 100). */
  tickMs?: number;
  /** The score to rank by in the first elections of both tiers (GroupSettings.bootstrapScore). */
  bootstrapScore?: number;
}

export interface AgentInit {
  settings: AgentSettings;
  persisted: PersistentState | null;
  /**
   * Changes on every start, so the super peer can tell a restarted member from a stale one. It is
   * also the sender epoch in packet headers: it must grow on every start (the runtime keeps it in
   * the state file).
   */
  incarnation: number;
  /** Random, drawn on every start, never 0: peers echo it, which proves a packet is newer than this run (guard.ts). */
  nonce: number;
  seed: number;
}

/**
 * Region traffic that only the holder of a region voter slot (a super peer) may act on: a node
 * that is not super peer answers it with a redirect to its sub-grid's super peer.
 */
const REDIRECTED_REGION_TYPES = new Set<Message['type']>(['discover', 'regionQuery', 'preVote', 'vote', 'sync', 'timeoutNow']);

/**
 * How long after another member of its sub-grid said it leaves for good a leaving super peer still
 * expects the rest of its sub-grid to follow (apply's removal batch runs `gridagent leave` on them
 * together): 10 s at the default 100 ms tick, beyond the host's 4 s handover and 4 s linger.
 */
const LEAVE_BATCH_TICKS = 100;

/**
 * What a node that left for good still waits for (AgentCore.lingersFor): to have said it leaves a
 * second time (its first leave may be lost on its way to a voter that becomes leader), its super
 * peer to drop it from the sub-grid's voters, the rest of its leaving sub-grid (it leads, or stands
 * to, and holds the region voter slot), its own removal from the voters of the sub-grid it still
 * leads, or the region peer to drop its sub-grid's slot.
 */
export type Lingering = 'saidOnce' | 'subgridVoter' | 'holdsSlot' | 'leadsVoters' | 'regionVoter';

/** A member as /status shows it. */
export interface MemberStatus {
  name: string;
  liveness: Liveness;
  score: number;
  load: number;
  incarnation: number;
  arch?: string;
  cores?: number;
  memoryMiB?: number;
  labels?: Record<string, string>;
  subgrid?: string;
  members?: number;
}

/** The local view of the overlay, as `GET /status` returns it. */
export interface AgentStatus {
  node: string;
  region: string;
  subgrid: string;
  incarnation: number;
  score: number;
  role: GroupRole;
  term: number;
  superPeer: string | null;
  /**
   * On the super peer: milliseconds since it last heard from a quorum of its voters (CheckQuorum
   * makes it step down when this reaches electionTimeoutMax). Null on every other role.
   */
  quorumContactAgoMs: number | null;
  /** Lifeguard's local health score (0 = on time; each point multiplies failure timeouts by one more), and the late ticks seen. */
  localHealth: { score: number; lateTicks: number };
  mirrors: string[];
  members: MemberStatus[];
  regionRole: GroupRole;
  regionTerm: number;
  regionPeer: string | null;
  /** The same for the region tier, on the region peer. */
  regionQuorumContactAgoMs: number | null;
  regionSuperPeers: MemberStatus[];
  /**
   * The whole grid as this region peer knows it: its own region first, then every other region
   * heard from (empty on nodes that are not region peers).
   */
  regions: RegionStatus[];
}

/** One region in /status. */
export interface RegionStatus extends PeerRegionSummary {
  liveness: Liveness;
  /** Milliseconds since its region peer was last heard from (0 for our own region). */
  lastHeardMsAgo: number;
}

/**
 * gridagent's protocol core, modelled on etcd-io/raft: no sockets, timers or clocks. The host
 * calls tick() every tick and receive() for every authenticated packet, then drains ready():
 * persist the state first, then send the messages under the headers they carry.
 */
export class AgentCore {
  readonly subgrid: GroupEngine;
  readonly region: GroupEngine;
  readonly directory: RegionDirectory;
  private outbox: Outbound[] = [];
  private events: AgentEvent[] = [];
  private persistDirty = false;
  private attrs: NodeAttributes;
  private attrsVersion = 1;
  private score: number;
  /** The score at no load and full uptime: what rebalancing compares (RegistryEntryWire.standing). */
  private standing: number;
  private readonly random: Random;
  private readonly guard: PacketGuard;
  /** Lifeguard's local health: how late this node's own ticks run (tick(lagMs)). */
  readonly health = new LocalHealth();
  /** leave(true) was called: the node lingers only to acknowledge its removal (and its sub-grid's slot's). */
  private leftForGood = false;
  /** The region voter slot this node gave up as the last of its sub-grid (leave(true)), until it exits. */
  private slotGivenUp: string | null = null;
  /** Ticks since leave(true). */
  private ticksSinceLeft = 0;
  /** This lingering node said it leaves a second time (repeatLeaveWhileLingering). */
  private leaveSaidAgain = false;
  /** Ticks since this lingering node last said it leaves (repeatLeaveWhileLingering). */
  private ticksSinceLeaveSaid = 0;
  /**
   * How often a lingering node says again that it leaves: the sub-grid's heartbeat interval, for
   * both tiers (the region's is twice as long, and the host lingers only 4 s).
   */
  private readonly leaveRepeatTicks: number;

  constructor(private readonly init: AgentInit) {
    const settings = init.settings;
    this.guard = new PacketGuard({ self: settings.name, epoch: init.incarnation, nonce: init.nonce });
    this.random = seededRandom(init.seed);
    this.attrs = { ...settings.attrs };
    this.score = announcedScore(this.attrs, settings.superPeer);
    this.standing = standingScore(this.attrs, settings.superPeer);
    this.leaveRepeatTicks = { ...SUBGRID_TIMERS, ...settings.timers }.heartbeatInterval;
    const eligible = settings.superPeer !== 'never';
    const subgridHost: GroupHost = {
      send: (out) => this.outbox.push(out),
      event: (event) => this.events.push(event),
      persistChanged: () => {
        this.persistDirty = true;
      },
      selfInfo: () => ({ score: this.score, standing: this.standing, load: this.attrs.load, attrsVersion: this.attrsVersion, attrs: this.attrs }),
      canStand: () => true,
      isActive: () => true,
      otherRegions: () => [],
    };
    const regionHost: GroupHost = {
      ...subgridHost,
      selfInfo: () => ({
        score: this.score,
        standing: this.standing,
        load: this.attrs.load,
        attrsVersion: 1,
        summary: { subgrid: settings.subgrid, members: this.subgrid.registry.liveCount(), term: this.subgrid.term },
      }),
      // A node that left for good never becomes region peer: it could not drop its own sub-grid's slot.
      canStand: () => this.subgrid.isLeader() && !this.leftForGood,
      isActive: () => this.subgrid?.isLeader() ?? false,
      otherRegions: () => this.directory.list().map(({ region, regionPeer, term, superPeers, nodes }) => ({ region, regionPeer, term, superPeers, nodes })),
    };
    this.subgrid = new GroupEngine(
      {
        tier: 'subgrid',
        group: settings.subgrid,
        self: settings.name,
        selfAddr: settings.addr,
        eligible,
        timers: { ...SUBGRID_TIMERS, ...settings.timers },
        expect: electorateSize(settings.expect, settings.electorate),
        ...(settings.electorate !== undefined ? { electorate: new Set(settings.electorate) } : {}),
        mirrors: settings.mirrors,
        hysteresis: settings.hysteresis,
        useMulticast: settings.multicast ?? true,
        incarnation: init.incarnation,
        tickMs: settings.tickMs ?? 100,
        random: this.random,
        health: this.health,
        ...(settings.bootstrapScore !== undefined ? { bootstrapScore: settings.bootstrapScore } : {}),
      },
      subgridHost,
      init.persisted?.subgrid ?? null,
      (state) => new StateFileVoteStore(settings.name, state),
    );
    this.region = new GroupEngine(
      {
        tier: 'region',
        group: settings.region,
        self: settings.name,
        selfAddr: settings.addr,
        eligible,
        timers: { ...REGION_TIMERS, ...settings.regionTimers },
        expect: electorateSize(settings.regionExpect, settings.regionElectorate),
        ...(settings.regionElectorate !== undefined ? { electorate: new Set(settings.regionElectorate) } : {}),
        mirrors: settings.mirrors,
        hysteresis: settings.hysteresis,
        useMulticast: false,
        incarnation: init.incarnation,
        tickMs: settings.tickMs ?? 100,
        random: this.random,
        health: this.health,
        ...(settings.bootstrapScore !== undefined ? { bootstrapScore: settings.bootstrapScore } : {}),
      },
      regionHost,
      init.persisted?.region ?? null,
      // The region voter slot belongs to the sub-grid: its super peer holds it, and commits the
      // slot's votes and view in the sub-grid view, which every successor inherits.
      () => new RegionSlotVoteStore(settings.subgrid, settings.name, this.subgridSlotKeeper()),
    );
    const regionTimers = { ...REGION_TIMERS, ...settings.regionTimers };
    this.directory = new RegionDirectory(
      {
        self: settings.name,
        region: settings.region,
        selfAddr: settings.addr,
        peerRegions: settings.peerRegions ?? [],
        ...(settings.regionPeerName !== undefined ? { regionName: settings.regionPeerName } : {}),
        interval: regionTimers.peerRegionInterval,
      },
      {
        send: (dest, message) => this.outbox.push({ dest, message }),
        event: (event) => this.events.push(event),
        isRegionPeer: () => this.region.isLeader(),
        regionTerm: () => this.region.term,
        ownSummary: () => this.ownRegionSummary(),
        redirectTarget: () => {
          if (this.subgrid.isLeader()) return this.region.leaderName === null ? null : { name: this.region.leaderName, addr: this.region.leaderAddress };
          return this.subgrid.leaderName === null ? null : { name: this.subgrid.leaderName, addr: this.subgrid.leaderAddress };
        },
      },
    );
  }

  /** The sub-grid engine as the keeper of this node's region voter slot. */
  private subgridSlotKeeper(): RegionSlotKeeper {
    const subgrid = (): GroupEngine => this.subgrid;
    return {
      isLeader: () => subgrid().isLeader(),
      get term() {
        return subgrid().term;
      },
      get regionSlot() {
        return subgrid().regionSlot;
      },
      commitRegionVote: (term, candidate, bootstrap) => subgrid().commitRegionVote(term, candidate, bootstrap),
      recordRegionView: (view) => subgrid().recordRegionView(view),
      get committedRegionView() {
        return subgrid().committedRegionView;
      },
      hasMember: (name) => subgrid().registry.get(name) !== undefined,
    };
  }

  get name(): string {
    return this.init.settings.name;
  }

  /**
   * One tick. `lagMs` is how late this tick runs (the runtime measures it against the wall clock;
   * the simulation models it): a late node is patient (local-health.ts).
   */
  tick(lagMs = 0): void {
    this.health.observe(lagMs / (this.init.settings.tickMs ?? 100));
    this.guard.tick();
    this.subgrid.tick();
    this.reconcileTiers();
    this.region.tick();
    this.directory.tick();
    if (this.leftForGood) this.ticksSinceLeft++;
    if (this.leadsStayingSubgrid()) this.subgrid.leaveVoters();
    this.repeatLeaveWhileLingering();
  }

  /** Senders whose replay window and nonce the guard keeps (bounded: replay-window.ts). */
  get trackedSenders(): number {
    return this.guard.trackedSenders;
  }

  /**
   * Feeds one authenticated packet (its MAC checked by the host); `fromAddr` is where it came
   * from (opaque to the core). Replays, and state-changing messages that do not prove they were
   * made after this run started, are dropped and counted here (guard.ts).
   */
  receive(packet: Packet, fromAddr?: string): void {
    const verdict = this.guard.inspect(packet);
    if (!verdict.ok) {
      this.drop(verdict.reason);
      // A packet of an epoch below the sender's newest is challenged too, naming that epoch: the
      // sender may be a node re-added under the name with a lower epoch (guard.ts, moveEpochAbove).
      const staleEpoch = verdict.reason === 'replayed' ? verdict.staleEpoch : undefined;
      if (verdict.reason === 'unvalidated' || staleEpoch !== undefined) {
        // A TCP frame (registry copy, merge) has no reply address: use the one we know for the sender.
        const replyAddr = fromAddr ?? this.subgrid.addressOf(packet.message.from) ?? this.region.addressOf(packet.message.from);
        const challenge = this.guard.challenge(packet, replyAddr, staleEpoch);
        if (challenge !== null) this.outbox.push(challenge);
      }
      return;
    }
    const message = packet.message;
    if (message.type === 'challenge') {
      if (message.to !== this.init.settings.name) return this.drop('misaddressed');
      const resend = this.guard.answerChallenge(message, fromAddr);
      if (resend !== null) this.outbox.push(resend);
      return;
    }
    this.step(message, fromAddr, verdict.validated);
  }

  /**
   * Feeds one message that already passed authentication and the guard (receive() does both
   * checks). `validated`: the guard validated it (it echoed this run's nonce); only such a message may
   * move the address votes are sent to for its sender (group/context.ts, noteSender).
   */
  step(message: Message, fromAddr?: string, validated = false): void {
    const settings = this.init.settings;
    if (message.to !== undefined && message.to !== settings.name) return this.drop('misaddressed');
    if (message.type === 'peerSummary' || message.type === 'peerRedirect') {
      if (message.tier !== 'region' || message.group === settings.region) return this.drop('foreign region');
      return this.directory.step(message, fromAddr, validated);
    }
    if (message.tier === 'subgrid') {
      if (message.group === settings.subgrid) this.subgrid.step(message, fromAddr, validated);
      else this.answerForeignSubgrid(message, fromAddr);
    } else if (message.tier === 'region') {
      if (message.group !== settings.region) return this.drop('foreign region');
      if (!this.subgrid.isLeader() && REDIRECTED_REGION_TYPES.has(message.type)) this.redirectToSuperPeer(message, fromAddr, validated);
      else this.region.step(message, fromAddr, validated);
    } else {
      return this.drop('unknown tier');
    }
    this.reconcileTiers();
  }

  /** Updates this node's attributes (load changes every heartbeat; others bump the version and cause a re-join). */
  setAttributes(attrs: NodeAttributes): void {
    const structural = attrs.arch !== this.attrs.arch || attrs.cores !== this.attrs.cores || attrs.memoryMiB !== this.attrs.memoryMiB || JSON.stringify(attrs.labels) !== JSON.stringify(this.attrs.labels);
    this.attrs = { ...attrs };
    this.score = announcedScore(attrs, this.init.settings.superPeer);
    this.standing = standingScore(attrs, this.init.settings.superPeer);
    if (structural) this.attrsVersion++;
  }

  /** SIGTERM: hand the super-peer (and region-peer) role to the best successor. Returns the successors asked. */
  handover(): { subgrid: string | null; region: string | null } {
    const region = this.region.handover();
    const subgrid = this.subgrid.handover();
    return { subgrid, region };
  }

  /**
   * Graceful shutdown: tell the super peer, so it drops us at once. `forGood` (decommission, after
   * handover() completed): the voters drop us at once too; and if we are the last node of our
   * sub-grid, its region voter slot goes with us.
   */
  leave(forGood = false): void {
    if (forGood && !this.leftForGood) this.ticksSinceLeft = 0;
    if (forGood) this.leftForGood = true;
    const lastOfSubgrid = this.lastOfSubgridLeaving();
    if (lastOfSubgrid) this.slotGivenUp = this.init.settings.subgrid;
    this.subgrid.leave(forGood);
    this.region.leave(forGood, lastOfSubgrid ? this.init.settings.subgrid : undefined);
    this.ticksSinceLeaveSaid = 0;
  }

  /**
   * A node that left for good sends no heartbeat while it lingers, and its `leave` (with `slotEnds`
   * once it gave the slot up) was one datagram: lost, in a sub-grid of two (or a region of two
   * slots) the leader never starts the view that drops it, and the node exits still a voter, so
   * the remaining one can never commit again. So while stillAVoter() holds, it says it again every
   * heartbeat interval, in place of the heartbeat. Receivers take a repeat as the first: a departed
   * name keeps the age of its first leave, a registry entry already removed changes nothing, and the leader only tries to
   * advance its view, which moves only while the voters are not yet the desired ones.
   */
  private repeatLeaveWhileLingering(): void {
    if (!this.leftForGood || !this.stillAVoter()) return;
    if (++this.ticksSinceLeaveSaid < this.leaveRepeatTicks) return;
    this.ticksSinceLeaveSaid = 0;
    this.leaveSaidAgain = true;
    this.subgrid.leave(true);
    this.region.leave(true, this.slotGivenUp ?? undefined);
  }

  /**
   * Left for good at least a heartbeat interval ago (a removal batch's leaves start a moment apart),
   * still leading its sub-grid (its handover failed, or went to a node that leaves too), and not
   * alone: some of the sub-grid stays, so it takes itself out of the voters before it exits
   * (GroupEngine.leaveVoters). Decided on who is still there, not on whether someone left lately:
   * where part of the sub-grid leaves with it, the rest must still be able to elect. The members that
   * left are out of the registry, and of the voters it drives towards; where they all left, it is
   * alone, and gives the slot up instead (lastOfSubgridLeaving).
   */
  private leadsStayingSubgrid(): boolean {
    return this.leftForGood && this.slotGivenUp === null && this.subgrid.isLeader() && this.ticksSinceLeft >= this.leaveRepeatTicks && !this.subgrid.isAlone();
  }

  /** Left for good, leading its sub-grid alone, and still holding the sub-grid's region voter slot. */
  private lastOfSubgridLeaving(): boolean {
    return this.leftForGood && this.slotGivenUp === null && this.subgrid.isLeader() && this.subgrid.isAlone();
  }

  /**
   * After leave(true): does this node still hold a view that counts it as a voter (or has it said it
   * leaves only once so far)? The super peer
   * drops it by joint consensus, and the joint view needs a majority of the old voters: of two, the
   * leaving one too (Raft's removal of a voter). So it keeps acknowledging until it holds a view
   * without itself; a super peer whose handover failed has no one to wait for. The same holds one
   * tier up for the last node of a sub-grid: the region peer drops the sub-grid's slot, and in a
   * region of two slots only this node's acknowledgement lets that removal commit. It waits until
   * its region view holds the slot in neither voter set: the region peer sends the view after the
   * joint one to the slots it drops, so that view says the joint one, which needed us, is committed.
   * (Our acknowledgement of the joint view leaves only once our sub-grid committed it in the slot,
   * a tick or two after we received it, so the joint view itself is not enough.)
   * A leaving super peer that has not given the slot up waits too, where its whole sub-grid leaves
   * at once (a removal batch): it is alone, and gives the slot up, only once the others' leaves
   * arrived. So does a leaving candidate (the target of a handover started before it left): it may
   * still win, and then holds the slot. Where some of the others stay (its handover failed, or went
   * to a node that leaves too), it takes itself out of the sub-grid voters and waits until that view
   * is committed and it stepped down: then the rest elect a successor, which takes the slot over,
   * even where only one voter stays (leadsStayingSubgrid). Where no voter acknowledges, it exits at
   * the host's bound still a voter.
   */
  stillAVoter(): boolean {
    return this.lingersFor() !== null;
  }

  /** What this node, after leave(true), still waits for (stillAVoter), or null. */
  lingersFor(): Lingering | null {
    const view = this.subgrid.view;
    // Both voter sets: during the joint view that drops us the new set no longer names us, but the
    // joint view still needs a majority of the old one, and of two old voters that is us too.
    const subgridVoter = view !== null && !this.subgrid.isLeader() && allVoters(view).some((peer) => peer.name === this.init.settings.name);
    // Once it takes itself out of the voters (leadsStayingSubgrid), the rest stays: it waits for that instead.
    const holdsSlot =
      this.leftForGood &&
      this.slotGivenUp === null &&
      (this.subgrid.isLeader() || this.subgrid.groupRole === 'candidate') &&
      this.subgridMayBeLeaving() &&
      !this.subgrid.leavesVoters;
    // Still leading a view with other voters, or no longer leading one whose removal of this node it
    // never saw committed: the view without it is not held by a quorum yet (leadsStayingSubgrid).
    const leadsVoters =
      this.leftForGood &&
      this.slotGivenUp === null &&
      (this.subgrid.isLeader() || this.subgrid.removalOfSelfUncommitted) &&
      allVoters(view).some((peer) => peer.name !== this.init.settings.name);
    const regionView = this.region.view;
    const slot = this.slotGivenUp;
    const regionVoter = slot !== null && regionView !== null && !this.region.isLeader() && allVoters(regionView).some((peer) => voterKey(peer) === slot);
    // Even a node no view counts (any more) says it leaves twice: a voter its first leave missed
    // may win the next election with a registry copy that still holds it, and take it back among
    // the voters (a registry update lost too), after the old leader dropped it.
    if (this.leftForGood && !this.leaveSaidAgain) return 'saidOnce';
    if (subgridVoter) return 'subgridVoter';
    if (holdsSlot) return 'holdsSlot';
    if (leadsVoters) return 'leadsVoters';
    return regionVoter ? 'regionVoter' : null;
  }

  /**
   * Whether the rest of this node's sub-grid may be leaving with it: another member said it leaves
   * for good lately, or this node's own leave is under a heartbeat interval old (a removal batch's
   * leaves start over SSH a moment apart, and a super peer without a successor to wait for says it
   * leaves first). Otherwise nobody else leaves, as when a handover failed, and a leading leaver
   * lingering on would only keep its sub-grid waiting for it.
   */
  private subgridMayBeLeaving(): boolean {
    return this.subgrid.ticksSinceMemberLeftForGood() <= LEAVE_BATCH_TICKS || this.ticksSinceLeft < this.leaveRepeatTicks;
  }

  ready(): Ready {
    const messages = this.outbox.map((out) => this.guard.stamp(out));
    const ready: Ready = {
      messages,
      persist: this.persistDirty ? this.persistentState() : null,
      epoch: this.guard.takeEpochToPersist(),
      events: this.events,
    };
    this.outbox = [];
    this.events = [];
    this.persistDirty = false;
    return ready;
  }

  persistentState(): PersistentState {
    return { subgrid: this.subgrid.persistent, region: this.region.persistent };
  }

  /**
   * What a reader of the status acts on first: the roles, terms and leaders of both tiers, in one
   * string cheap to make. The HTTP /status body is cached per tick and rebuilt as soon as this
   * changes, so a handover shows the moment a packet brings it, not a tick later.
   */
  statusKey(): string {
    return `${this.subgrid.groupRole}|${this.subgrid.term}|${this.subgrid.shownLeaderName ?? ''}|${this.region.groupRole}|${this.region.term}|${this.region.leaderName ?? ''}`;
  }

  status(): AgentStatus {
    const settings = this.init.settings;
    const showRegistry = this.subgrid.isLeader() || this.subgrid.groupRole === 'mirror';
    const tickMs = settings.tickMs ?? 100;
    const ms = (ticks: number | null): number | null => (ticks === null ? null : ticks * tickMs);
    return {
      node: settings.name,
      region: settings.region,
      subgrid: settings.subgrid,
      incarnation: this.init.incarnation,
      score: this.score,
      role: this.subgrid.groupRole,
      term: this.subgrid.term,
      superPeer: this.subgrid.shownLeaderName,
      quorumContactAgoMs: ms(this.subgrid.quorumContactAgo),
      localHealth: { score: this.health.healthScore, lateTicks: this.health.lateTicks },
      mirrors: allVoters(this.subgrid.view)
        .map((peer) => peer.name)
        .filter((name) => name !== this.subgrid.leaderName),
      members: showRegistry ? this.subgrid.registry.list().map(toMemberStatus) : [],
      regionRole: this.region.groupRole,
      regionTerm: this.region.term,
      regionPeer: this.region.leaderName,
      regionQuorumContactAgoMs: ms(this.region.quorumContactAgo),
      regionSuperPeers: this.region.isLeader() ? this.region.registry.list().map(toMemberStatus) : [],
      regions: this.regionsStatus(),
    };
  }

  /** The grid as this region peer knows it: its own region, then the others. */
  regionsStatus(): RegionStatus[] {
    if (!this.region.isLeader()) return [];
    const settings = this.init.settings;
    const tickMs = settings.tickMs ?? 100;
    const own = this.ownRegionSummary();
    return [
      { region: settings.region, regionPeer: settings.name, term: this.region.term, ...own, liveness: 'alive', lastHeardMsAgo: 0 },
      ...this.directory.list().map(({ lastHeardTicksAgo, ...entry }) => ({ ...entry, lastHeardMsAgo: lastHeardTicksAgo * tickMs })),
    ];
  }

  /** This region's live super peers and node count, from the region peer's registry. */
  private ownRegionSummary(): { superPeers: { name: string; subgrid: string; members: number }[]; nodes: number } {
    const superPeers = subgridHolders(this.region.registry.list())
      .filter((entry) => entry.liveness !== 'dead')
      .map((entry) => ({ name: entry.name, subgrid: entry.summary!.subgrid, members: entry.summary!.members }));
    return { superPeers, nodes: superPeers.reduce((sum, peer) => sum + peer.members, 0) };
  }

  private reconcileTiers(): void {
    const isSuperPeer = this.subgrid.isLeader();
    if (isSuperPeer) {
      if (!this.region.isActive) {
        // A new super peer takes over its sub-grid's region voter slot before it acts in the region.
        this.region.adoptSlot(this.subgrid.regionSlot);
        this.region.activate();
      }
      this.region.slotProgress();
      if (this.region.joined) this.subgrid.recordRegionJoined();
    } else {
      this.region.deactivate('no longer super peer');
    }
    // A whole sub-grid that leaves at once: whichever node ends up leading it is alone only once the
    // others' leaves arrived, after its own leave(true); then it gives the slot up, to a known region peer.
    if (this.lastOfSubgridLeaving() && this.region.leaderName !== null) {
      this.slotGivenUp = this.init.settings.subgrid;
      this.region.leave(true, this.slotGivenUp);
    }
  }

  /**
   * A node of another sub-grid found us through seeds or the region name. Point it at the
   * super peer of its sub-grid if this node is the region peer, else at whoever knows more.
   */
  private answerForeignSubgrid(message: Message, fromAddr: string | undefined): void {
    if (message.type !== 'discover' || !message.direct) return this.drop('foreign subgrid');
    let leader: string | null = null;
    let leaderAddr: string | undefined;
    if (this.region.isLeader()) {
      const entry = subgridHolders(this.region.registry.list()).find((candidate) => candidate.summary!.subgrid === message.group && candidate.liveness !== 'dead');
      if (entry) {
        leader = entry.name;
        leaderAddr = entry.addr;
      }
    } else if (this.subgrid.isLeader() && this.region.leaderName !== null) {
      leader = this.region.leaderName;
      leaderAddr = this.region.leaderAddress;
    } else if (this.subgrid.leaderName !== null && !this.subgrid.isLeader()) {
      leader = this.subgrid.leaderName;
      leaderAddr = this.subgrid.leaderAddress;
    }
    if (leader === null) return;
    this.reply(message, fromAddr, { type: 'redirect', leader, leaderAddr });
  }

  /** Region traffic reaching a node that is not a super peer: send it to our super peer. */
  private redirectToSuperPeer(message: Message, fromAddr: string | undefined, validated: boolean): void {
    if (message.type === 'discover' && message.fresh) this.region.step(message, fromAddr, validated);
    const leader = this.subgrid.leaderName;
    if (leader === null || leader === this.init.settings.name) return;
    if (message.type === 'discover' && !message.direct) return;
    // The redirect names the holder of our sub-grid's region voter slot, as of our sub-grid term.
    this.reply(message, fromAddr, { type: 'redirect', leader, leaderAddr: this.subgrid.leaderAddress, slot: this.init.settings.subgrid, slotTerm: this.subgrid.term });
  }

  private reply(to: Message, toAddr: string | undefined, body: { type: 'redirect'; leader: string; leaderAddr?: string; slot?: string; slotTerm?: number }): void {
    this.outbox.push({
      dest: { kind: 'node', name: to.from, addr: toAddr },
      message: { ...body, tier: to.tier, group: to.group, from: this.init.settings.name, to: to.from, term: 0 },
    });
  }

  private drop(reason: string): void {
    this.events.push({ type: 'dropped', reason });
  }

  /** Tier of a message, for metrics. */
  static tierOf(message: Message): Tier {
    return message.tier;
  }
}

function toMemberStatus(entry: {
  name: string;
  liveness: Liveness;
  score: number;
  load: number;
  incarnation: number;
  attrs?: NodeAttributes;
  summary?: { subgrid: string; members: number };
}): MemberStatus {
  return {
    name: entry.name,
    liveness: entry.liveness,
    score: entry.score,
    load: entry.load,
    incarnation: entry.incarnation,
    arch: entry.attrs?.arch,
    cores: entry.attrs?.cores,
    memoryMiB: entry.attrs?.memoryMiB,
    labels: entry.attrs?.labels,
    subgrid: entry.summary?.subgrid,
    members: entry.summary?.members,
  };
}

/** The electorate size: the count if given, else the number of names, else none (a node added later). */
function electorateSize(expect: number | undefined, names: string[] | undefined): number | null {
  return expect ?? names?.length ?? null;
}
