import type { AgentEvent, Liveness, NodeAttributes, RegistryEntryWire, SubgridSummary, Tier } from './types.js';
import { MAX_TRACKED_PEERS } from './bounded-map.js';
import { suspicionTimeout, type Timers } from './timers.js';

/** One member as the leader sees it. Ticks are local to the leader and never sent. */
export interface MemberRecord extends RegistryEntryWire {
  lastHeard: number;
  suspectSince: number | null;
  deadSince: number | null;
  load: number;
  /** Since when the member has been alive without a break (for the stabilization time). */
  aliveSince: number;
}

/** What a heartbeat tells the leader. */
export interface HeartbeatFacts {
  incarnation: number;
  attrsVersion: number;
  load: number;
  score: number;
  members?: number;
}

/**
 * The super peer's registry of members (or the region peer's registry of super peers), with
 * SWIM-style liveness: alive -> suspect -> dead -> removed. A suspect that speaks again is alive
 * again (it refuted the suspicion), so a slow node is not thrown out by one missed beat.
 */
export class Registry {
  private readonly entries = new Map<string, MemberRecord>();

  /**
   * `capacity`: the members a join may bring it to (bounded-map.ts, MAX_TRACKED_PEERS). A node
   * holding the grid key can sign a join in any name; past the bound a join of a name the registry
   * does not hold is refused (the joiner is not welcomed, and asks again), until the sweep has
   * removed members that stopped speaking: a made-up name never heartbeats, so it is gone within
   * `removeAfter` plus its suspicion, while a member already in keeps its place.
   */
  constructor(
    private readonly tier: Tier,
    private readonly capacity = MAX_TRACKED_PEERS,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(name: string): MemberRecord | undefined {
    return this.entries.get(name);
  }

  list(): MemberRecord[] {
    return [...this.entries.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  liveCount(): number {
    let count = 0;
    for (const entry of this.entries.values()) if (entry.liveness !== 'dead') count++;
    return count;
  }

  /** Records a join; returns the event to report, or null where the registry is full and the name new to it (`own`: the leader's own entry, never refused). */
  join(
    join: { name: string; addr?: string; incarnation: number; attrsVersion: number; eligible: boolean; score: number; standing?: number; attrs?: NodeAttributes; summary?: SubgridSummary; born?: boolean },
    now: number,
    options: { own?: boolean } = {},
  ): AgentEvent | null {
    const previous = this.entries.get(join.name);
    // Only the leader's own entry is never refused (`own`): `born` comes from the joiner, and a
    // node holding the key could set it on every made-up name.
    if (previous === undefined && !options.own && this.entries.size >= this.capacity) return null;
    // A restart of a member that was already stable (a rolling upgrade) keeps it stable; a node
    // that signs in for the first time, and was not born with the group, has to prove itself first.
    const stable = join.born === true || (previous !== undefined && previous.stable !== false && previous.liveness !== 'dead');
    this.entries.set(join.name, {
      name: join.name,
      addr: join.addr ?? previous?.addr,
      incarnation: join.incarnation,
      attrsVersion: join.attrsVersion,
      eligible: join.eligible,
      score: join.score,
      ...(join.standing !== undefined ? { standing: join.standing } : {}),
      attrs: join.attrs,
      summary: join.summary,
      liveness: 'alive',
      lastHeard: now,
      suspectSince: null,
      deadSince: null,
      load: join.attrs?.load ?? 0,
      aliveSince: now,
      stable,
    });
    const change = previous === undefined ? 'joined' : 'rejoined';
    return { type: 'member', tier: this.tier, name: join.name, change };
  }

  /**
   * Applies a heartbeat. `known` is false when the leader lacks this incarnation's attributes
   * and must ask for a join; `event` reports a refuted suspicion.
   */
  heartbeat(name: string, facts: HeartbeatFacts, addr: string | undefined, now: number): { known: boolean; event?: AgentEvent } {
    const entry = this.entries.get(name);
    if (entry === undefined || entry.incarnation !== facts.incarnation || entry.attrsVersion !== facts.attrsVersion || entry.liveness === 'dead') {
      return { known: false };
    }
    const wasSuspect = entry.liveness === 'suspect';
    if (wasSuspect) entry.aliveSince = now; // a break: the stabilization clock starts again
    entry.lastHeard = now;
    entry.liveness = 'alive';
    entry.suspectSince = null;
    entry.load = facts.load;
    entry.score = facts.score;
    if (entry.attrs) entry.attrs = { ...entry.attrs, load: facts.load };
    if (entry.summary && facts.members !== undefined) entry.summary = { ...entry.summary, members: facts.members };
    if (addr !== undefined) entry.addr = addr;
    return wasSuspect ? { known: true, event: { type: 'member', tier: this.tier, name, change: 'refuted' } } : { known: true };
  }

  /** Keeps an entry alive without a heartbeat (the leader itself, or a voter's sync answer). */
  touch(name: string, now: number): void {
    const entry = this.entries.get(name);
    if (entry === undefined || entry.liveness === 'dead') return;
    entry.lastHeard = now;
    entry.liveness = 'alive';
    entry.suspectSince = null;
  }

  /** Removes a member that left on purpose. */
  leave(name: string, incarnation: number): AgentEvent | null {
    const entry = this.entries.get(name);
    if (entry === undefined || entry.incarnation > incarnation) return null;
    this.entries.delete(name);
    return { type: 'member', tier: this.tier, name, change: 'left' };
  }

  /**
   * Marks members stable once they have been alive for `after` ticks without a break. Returns
   * whether any changed (the registry copy of the mirrors must then be refreshed).
   */
  stabilize(now: number, after: number): boolean {
    let changed = false;
    for (const entry of this.entries.values()) {
      if (entry.stable !== false || entry.liveness !== 'alive' || now - entry.aliveSince < after) continue;
      entry.stable = true;
      changed = true;
    }
    return changed;
  }

  /** Advances liveness; `self` is never suspected by itself. Returns what changed. */
  sweep(now: number, timers: Timers, self: string): AgentEvent[] {
    const events: AgentEvent[] = [];
    const suspicion = suspicionTimeout(this.entries.size, timers.heartbeatInterval, timers.suspicionMultiplier);
    for (const entry of [...this.entries.values()]) {
      if (entry.name === self) continue;
      if (entry.liveness === 'alive' && now - entry.lastHeard >= timers.suspectAfter) {
        entry.liveness = 'suspect';
        entry.suspectSince = now;
        events.push({ type: 'member', tier: this.tier, name: entry.name, change: 'suspected' });
      } else if (entry.liveness === 'suspect' && entry.suspectSince !== null && now - entry.suspectSince >= suspicion) {
        entry.liveness = 'dead';
        entry.deadSince = now;
        events.push({ type: 'member', tier: this.tier, name: entry.name, change: 'dead' });
      } else if (entry.liveness === 'dead' && entry.deadSince !== null && now - entry.deadSince >= timers.removeAfter) {
        this.entries.delete(entry.name);
        events.push({ type: 'member', tier: this.tier, name: entry.name, change: 'removed' });
      }
    }
    return events;
  }

  toWire(): RegistryEntryWire[] {
    return this.list().map((entry) => ({
      name: entry.name,
      addr: entry.addr,
      incarnation: entry.incarnation,
      attrsVersion: entry.attrsVersion,
      eligible: entry.eligible,
      score: entry.score,
      ...(entry.standing !== undefined ? { standing: entry.standing } : {}),
      attrs: entry.attrs,
      summary: entry.summary,
      liveness: entry.liveness,
      ...(entry.stable === false ? { stable: false } : {}),
    }));
  }

  /**
   * Replaces the content with a replica from the leader (mirrors), each member as the leader hears
   * it, the dead included until the leader removes them: a mirror's /status then says what the
   * leader's does (gridops counts a voter outside its run as up only when heard alive). The
   * leader's ticks are not sent, so a suspicion or death starts its clock when a copy first shows
   * it and keeps it while later copies repeat it: a successor removes a dead member `removeAfter`
   * after it learned of the death, as the leader would. Likewise a member alive in consecutive
   * copies keeps its stabilization clock (aliveSince), so a successor keeps counting; a suspicion or
   * a new incarnation starts it again, as on the leader. (Not mergeFrom: a partition's registries
   * merge with fresh clocks, this is the same registry one sync later.)
   */
  replaceFrom(wire: RegistryEntryWire[], now: number): void {
    const previous = new Map(this.entries);
    this.entries.clear();
    for (const incoming of wire) {
      const held = previous.get(incoming.name);
      const repeated = held !== undefined && held.incarnation === incoming.incarnation && held.liveness === incoming.liveness;
      this.entries.set(incoming.name, {
        ...incoming,
        lastHeard: now,
        suspectSince: incoming.liveness === 'suspect' ? (repeated ? (held.suspectSince ?? now) : now) : null,
        deadSince: incoming.liveness === 'dead' ? (repeated ? (held.deadSince ?? now) : now) : null,
        load: incoming.attrs?.load ?? 0,
        aliveSince: repeated && incoming.liveness === 'alive' ? held.aliveSince : now,
      });
    }
  }

  /**
   * Merges entries from another registry (a healed partition): unknown members, or a newer
   * incarnation of a known one, are taken and start a fresh liveness clock, so that members
   * which are really gone are suspected and removed by the normal rules.
   */
  mergeFrom(wire: RegistryEntryWire[], now: number): number {
    let merged = 0;
    for (const incoming of wire) {
      const current = this.entries.get(incoming.name);
      if (current !== undefined && current.incarnation >= incoming.incarnation) continue;
      if (incoming.liveness === 'dead') continue;
      // Bounded as joins are (the constructor says why): a merge, signed by any key holder, may name thousands.
      if (current === undefined && this.entries.size >= this.capacity) continue;
      this.entries.set(incoming.name, {
        ...incoming,
        liveness: 'alive',
        lastHeard: now,
        suspectSince: null,
        deadSince: null,
        load: incoming.attrs?.load ?? 0,
        aliveSince: now,
      });
      merged++;
    }
    return merged;
  }

  /**
   * A new leader restarts every liveness clock: silence observed by the old leader does not count.
   * The order of who was heard last survives, within the tick (alive before suspect, then by last
   * heard): the region peer names a sub-grid's super peer by it (subgrid-holders.ts), and with every
   * clock at `now` a crashed super peer still suspect tied with its successor, and name order chose.
   * So each member gets less than one tick less grace than a full restart would give.
   */
  restartClocks(now: number): void {
    for (const entry of this.entries.values()) {
      if (entry.liveness === 'dead') continue;
      const age = Math.max(0, now - entry.lastHeard);
      entry.lastHeard = now - (entry.liveness === 'suspect' ? 0.5 : 0) - 0.25 * (age / (age + 1));
      entry.liveness = 'alive';
      entry.suspectSince = null;
    }
  }

  remove(name: string): void {
    this.entries.delete(name);
  }
}
