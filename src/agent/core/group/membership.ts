import type { Message } from '../types.js';
import { compareViews } from '../view.js';
import { subgridHolders } from '../subgrid-holders.js';
import type { GroupContext, GroupHost } from './context.js';
import type { DepartedNames } from './departed.js';
import type { Replication } from './replication.js';

/** What membership needs from the role transitions (engine.ts). */
export interface MembershipRoles {
  observeTerm(term: number, fromLeader?: boolean): void;
  followLeader(name: string): void;
  /** The leader says it is not one: forget it and search again. */
  forgetLeader(): void;
  /** Follow a hint to the leader, as a redirect would (discovery.ts). */
  redirected(message: Extract<Message, { type: 'redirect' }>): void;
  /** After handing the role over: the successor, the best hint while this node knows no leader yet. */
  transferSuccessor(): string | null;
}

/**
 * Who belongs to the group, SWIM-style: a member signs in with `join` (its attributes) and then
 * sends a heartbeat every `heartbeatInterval`; the leader keeps the registry (alive, suspect,
 * dead, removed; registry.ts), answers each heartbeat, and takes members that leave out at once.
 * A member whose leader stops answering for `leaderLostTimeout` searches again; a heartbeat left
 * unanswered is sent again after a fifth of the interval, so that a few lost datagrams do not cost
 * a plain member (which hears its leader only in the answers) its leader; not to a leader that
 * said it runs late, which would only get more to read.
 */
export class Membership {
  /** The leader knows this incarnation's attributes: heartbeats will do (else a join). */
  welcomed = false;
  /** Follower: when the leader was last heard from (any message), and last answered a heartbeat. */
  lastLeaderContact = Number.NEGATIVE_INFINITY;
  private lastLeaderAck = Number.NEGATIVE_INFINITY;
  private nextHeartbeatAt = 0;
  /** Follower: the tick its last heartbeat (not a join) went out. */
  private lastHeartbeatAt = Number.NEGATIVE_INFINITY;
  /** Follower: the leader's last hbAck said it runs late (local health): no resends, they would only add to its backlog. */
  private leaderSaidSlow = false;
  /** The tick this node last greeted a leader (new, or of a new term). */
  private greetedAt = Number.NEGATIVE_INFINITY;
  /** The tick another member's (or slot's) leave for good was last heard: a removal batch may be under way. */
  lastLeftForGoodAt = Number.NEGATIVE_INFINITY;
  /**
   * This node left for good (leave(true)) and only lingers to acknowledge the view that drops it:
   * it sends no heartbeat, so the leader's "not known" answer cannot make it join again.
   */
  leftForGood = false;

  constructor(
    private readonly ctx: GroupContext,
    private readonly replication: Replication,
    private readonly roles: MembershipRoles,
    /** Members (and region voter slots) that left for good: never kept as voters (forgotten once they sign in again). */
    readonly departed: DepartedNames,
  ) {}

  // ---- member side --------------------------------------------------------------------------

  /** A (new or same) leader spoke: it counts as contact, and a new one is greeted at once. */
  leaderHeard(isNewLeader: boolean): void {
    if (isNewLeader) {
      // A node that belonged before is most likely in the new leader's replica: try a heartbeat first.
      this.welcomed = this.ctx.state.joined;
      this.nextHeartbeatAt = this.ctx.now;
      this.greetedAt = this.ctx.now;
    }
    this.lastLeaderContact = this.ctx.now;
    this.lastLeaderAck = this.ctx.now;
  }

  heartbeatDue(): boolean {
    return this.ctx.now >= this.nextHeartbeatAt;
  }

  /** Heartbeats the leader; declares it lost after `leaderLostTimeout` without an answer or any message. */
  tickMember(): boolean {
    const ctx = this.ctx;
    if (ctx.leader === null) return false;
    if (this.heartbeatDue() || this.heartbeatUnanswered()) this.sendHeartbeat();
    if (ctx.health.laggingNow) return false;
    const timeout = ctx.leaderPatience(ctx.timers.leaderLostTimeout);
    return ctx.now - this.lastLeaderAck >= timeout && ctx.now - this.lastLeaderContact >= timeout;
  }

  /**
   * The last heartbeat got no answer (nor any other word of the leader) within a fifth of the
   * heartbeat interval (0.2 s, a LAN round trip many times over): it is asked again rather than
   * waited for. A plain member hears its leader only in the hbAck; with one heartbeat a second and
   * no second try, three lost round trips in a row lost it the leader, and in a 12-node sub-grid
   * whose super peer served throughout, the 7 plain members lost it 83 times in 2 minutes at 20 %
   * loss each way, 112 at 30 % (test/agent/protocol.test.ts; now 0 and 1).
   * A leader whose last answer said it runs late (hbAck.slow, its local health score) gets no
   * resends: its answer is late, not lost, and five heartbeats a second from every member filled a
   * stalled leader's receive buffer (dropping syncAcks and votes) and prolonged the stall. Resends
   * do not back off otherwise: the loss test needs about ten tries between the due heartbeat and
   * leaderLostTimeout (backing off 0.2, 0.4, 0.8 s lost 10 and 49 leaders there, a cap at 0.4 s 1 and 9).
   */
  private heartbeatUnanswered(): boolean {
    const ctx = this.ctx;
    if (!this.welcomed || this.leaderSaidSlow || this.lastLeaderAck >= this.lastHeartbeatAt) return false;
    return ctx.now - this.lastHeartbeatAt >= Math.max(1, Math.floor(ctx.timers.heartbeatInterval / 5));
  }

  sendHeartbeat(): void {
    const ctx = this.ctx;
    if (ctx.leader === null || this.leftForGood) return;
    const info = ctx.host.selfInfo();
    this.nextHeartbeatAt = ctx.now + ctx.timers.heartbeatInterval;
    if (!this.welcomed) {
      ctx.sendTo(ctx.leader, { type: 'join', ...this.selfEntry(info), ...(ctx.settings.expect !== null ? { born: true } : {}) });
      return;
    }
    this.lastHeartbeatAt = ctx.now;
    ctx.sendTo(ctx.leader, {
      type: 'hb',
      incarnation: ctx.settings.incarnation,
      attrsVersion: info.attrsVersion,
      load: info.load,
      score: info.score,
      members: info.summary?.members,
      viewTerm: ctx.state.view?.term ?? 0,
      viewVersion: ctx.state.view?.version ?? 0,
    });
  }

  onWelcome(message: Extract<Message, { type: 'welcome' }>): void {
    const ctx = this.ctx;
    if (message.term < ctx.state.term) return;
    this.roles.observeTerm(message.term, true);
    this.roles.followLeader(message.from);
    this.welcomed = true;
    if (!ctx.state.joined) {
      ctx.state.joined = true;
      ctx.persist();
    }
  }

  onHeartbeatAck(message: Extract<Message, { type: 'hbAck' }>): void {
    const ctx = this.ctx;
    if (message.from !== ctx.leader || ctx.role === 'leader') return;
    if (message.notLeader) {
      // In the tick its announce arrived, a "not leader" answers a heartbeat sent while it was still
      // a candidate (the lab polls every 100 ms; this race lasts a LAN round trip): stale, ignored.
      if (ctx.now === this.greetedAt) return;
      this.roles.forgetLeader();
      if (message.leader !== undefined) this.roles.redirected({ ...message, type: 'redirect', leader: message.leader });
      return;
    }
    if (message.term < ctx.state.term) return;
    this.roles.observeTerm(message.term, true);
    this.lastLeaderAck = ctx.now;
    this.leaderSaidSlow = (message.slow ?? 0) > 0;
    if (message.view !== undefined) this.replication.learnView(message.view);
    if (!message.known && this.welcomed) {
      this.welcomed = false;
      this.sendHeartbeat();
    }
  }

  // ---- leader side --------------------------------------------------------------------------

  /**
   * The leader is a member of its own registry, always alive. A registry copy may show a new leader
   * dead (its predecessor stopped hearing it): a heartbeat does not revive a dead entry, a join does.
   */
  registerSelf(): void {
    const ctx = this.ctx;
    const info = ctx.host.selfInfo();
    const existing = ctx.registry.get(ctx.self);
    if (existing && existing.incarnation === ctx.settings.incarnation && existing.attrsVersion === info.attrsVersion && existing.liveness !== 'dead') {
      ctx.registry.heartbeat(ctx.self, { ...info, incarnation: ctx.settings.incarnation, members: info.summary?.members }, ctx.settings.selfAddr, ctx.now);
      return;
    }
    ctx.registry.join({ name: ctx.self, addr: ctx.settings.selfAddr, ...this.selfEntry(info), born: true }, ctx.now, { own: true });
  }

  /** How this node describes itself to a registry: in its join message, and as a leader in its own registry. */
  private selfEntry(info: ReturnType<GroupHost['selfInfo']>) {
    const ctx = this.ctx;
    return { incarnation: ctx.settings.incarnation, attrsVersion: info.attrsVersion, eligible: ctx.settings.eligible, score: info.score, standing: info.standing, attrs: info.attrs, summary: info.summary };
  }

  /**
   * Advances liveness (suspect, dead, removed) and stabilization; every change goes to the mirrors
   * with the next sync, a suspicion too: a mirror's copy is what gridops reads when it does not
   * reach the super peer. (Each change costs one registry copy to each voter; changes within a
   * sync interval share it.)
   */
  tickLeader(): void {
    const ctx = this.ctx;
    this.registerSelf();
    // Local health: a leader that runs late suspects nobody in a late tick, and waits longer, both
    // to suspect and to declare a suspect dead (memberlist stretches the suspicion timeout too): a
    // suspect's refutation may be queued behind the same stall.
    const health = ctx.health;
    const timers = health.healthScore === 0 ? ctx.timers : { ...ctx.timers, suspectAfter: health.scale(ctx.timers.suspectAfter), suspicionMultiplier: health.scale(ctx.timers.suspicionMultiplier) };
    const sweep = health.laggingNow ? [] : ctx.registry.sweep(ctx.now, timers, ctx.self);
    for (const event of sweep) {
      ctx.event(event);
      this.replication.registryDirty = true;
    }
    if (ctx.registry.stabilize(ctx.now, ctx.timers.stabilizationTime)) this.replication.registryDirty = true;
  }

  onJoin(message: Extract<Message, { type: 'join' }>): void {
    const ctx = this.ctx;
    this.roles.observeTerm(message.term);
    if (ctx.role !== 'leader') {
      ctx.redirectTo(message.from);
      return;
    }
    const event = ctx.registry.join({ ...message, name: message.from, addr: ctx.provenAddress(message.from) }, ctx.now);
    // Full (registry.ts): not welcomed, the node asks again once the sweep made room.
    if (event === null) return;
    // Signed in again (another incarnation than the one that left, or a sub-grid re-created): no
    // longer departed, and a slot's holder heard before is stale.
    const forgotten = [...this.departed.forgetOnJoin(message.from, message.incarnation, message.summary?.subgrid), ...this.departed.forgetSignedIn()];
    for (const name of forgotten) ctx.forgetHolder(name);
    ctx.event(event);
    this.replication.registryDirty = true;
    ctx.sendTo(message.from, { type: 'welcome' });
  }

  onHeartbeat(message: Extract<Message, { type: 'hb' }>, fromAddr: string | undefined): void {
    const ctx = this.ctx;
    this.roles.observeTerm(message.term);
    if (ctx.role !== 'leader') {
      // Just after a handover the old leader knows its successor before it hears from it: pointing
      // there saves the member a leaderless search.
      const known = ctx.leader ?? this.roles.transferSuccessor();
      const hint = known !== null && known !== ctx.self ? known : undefined;
      ctx.sendTo(message.from, { type: 'hbAck', known: false, notLeader: true, leader: hint, leaderAddr: hint ? ctx.addressOf(hint) : undefined });
      return;
    }
    const result = ctx.registry.heartbeat(message.from, message, fromAddr, ctx.now);
    this.replication.heardFrom(message);
    if (result.event) {
      // A refuted suspicion: the mirrors show the member alive again from the next sync.
      ctx.event(result.event);
      this.replication.registryDirty = true;
    }
    // A member with an older view (say, a mirror that was replaced) learns the current one, so it stops acting as a voter.
    const stale = compareViews({ term: message.viewTerm, version: message.viewVersion }, ctx.state.view) < 0;
    // Its local health score, as in a sync: a member does not resend heartbeats to a leader that runs late.
    const slow = ctx.health.healthScore;
    ctx.sendTo(message.from, { type: 'hbAck', known: result.known, ...(slow > 0 ? { slow } : {}), ...(stale && ctx.state.view ? { view: ctx.state.view } : {}) });
  }

  onLeave(message: Extract<Message, { type: 'leave' }>): void {
    const ctx = this.ctx;
    if (message.forGood) {
      // Decommissioned, not restarting. A voter remembers it too (and drops it from its registry
      // copy), so that a successor leader elected before the next sync does not keep it.
      // An older entry of it goes first (not taken for it signed in again).
      if (ctx.role !== 'leader') ctx.registry.leave(message.from, message.incarnation);
      if (message.slotEnds !== undefined) this.departed.addSlot(message.slotEnds, message.from, message.incarnation);
      this.departed.addMember(message.from, message.incarnation);
      this.lastLeftForGoodAt = ctx.now;
    }
    if (ctx.role !== 'leader') return;
    const event = ctx.registry.leave(message.from, message.incarnation);
    if (event) {
      ctx.event(event);
      this.replication.registryDirty = true;
    }
    // Decommissioned: out of the voters now, by joint consensus, not after a grace.
    if (message.forGood) this.replication.advanceView();
  }

  /** A deposed leader's registry (a healed partition): unknown members are added, and told who leads. */
  onMerge(message: Extract<Message, { type: 'merge' }>): void {
    const ctx = this.ctx;
    if (ctx.role !== 'leader') return;
    // A member that left for good, or a holder of a slot given up, is not taken back from what a
    // deposed leader knew: a node that signed in again since signs in here too (its heartbeat is
    // answered "not known").
    const entries = message.registry.filter((entry) => !this.departed.has(entry.name) && !(entry.summary !== undefined && this.departed.has(entry.summary.subgrid)));
    const merged = ctx.registry.mergeFrom(entries, ctx.now);
    if (merged === 0) return;
    this.replication.registryDirty = true;
    for (const entry of entries) {
      if (entry.name !== ctx.self) ctx.sendTo(entry.name, { type: 'announce' }, false, entry.addr);
    }
  }

  onRegionQuery(message: Extract<Message, { type: 'regionQuery' }>): void {
    const ctx = this.ctx;
    if (ctx.role !== 'leader') {
      if (ctx.leader !== null) ctx.sendTo(message.from, { type: 'redirect', leader: ctx.leader, leaderAddr: ctx.addressOf(ctx.leader) });
      return;
    }
    // One entry per sub-grid: a crashed super peer is listed only until its successor joined.
    const superPeers = subgridHolders(ctx.registry.list()).map((entry) => ({
      name: entry.name,
      subgrid: entry.summary!.subgrid,
      members: entry.summary!.members,
      liveness: entry.liveness,
    }));
    const totalNodes = superPeers.filter((peer) => peer.liveness !== 'dead').reduce((sum, peer) => sum + peer.members, 0);
    const regions = ctx.host.otherRegions();
    ctx.sendTo(message.from, { type: 'regionInfo', superPeers, totalNodes, ...(regions.length > 0 ? { regions } : {}) }, regions.length > 8);
  }

  /** Whether this node is the only live member of its registry (the last node of its group). */
  isAlone(): boolean {
    return this.ctx.registry.list().every((entry) => entry.name === this.ctx.self || entry.liveness === 'dead');
  }
}
