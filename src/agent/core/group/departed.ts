import type { Registry } from '../registry.js';
import type { Timers } from '../timers.js';
import type { DepartedWire, RegistryEntryWire } from '../types.js';

/**
 * At most this many names are remembered, and so carried (the decoder takes up to 256). Was 32:
 * a removal batch of more nodes lost the first of its names while they were still leaving. 128
 * member names of 40 characters still fit a datagram; region slots carry their holder's name too,
 * and those, or longer names, go over TCP (over 16 KiB, as a registry copy does). Beyond it the
 * oldest go first, so names no longer carried before any still carried.
 */
export const MAX_DEPARTED = 128;
/**
 * A leader's syncs carry a name for 6 registry refreshes (60 s on a sub-grid): by then every voter
 * was sent 6 registry copies without it, and a member that fell silent is suspected, dead and
 * removed (about 20 s). It is remembered 10 times as long (10 min), against a deposed leader's
 * registry merged after a partition heals.
 */
const CARRY_REFRESHES = 6;
const KEEP_REFRESHES = 60;

/** One departure: a member, or a region voter slot (a sub-grid) given up by its last node. */
interface Departure {
  /** The tick this node counts the departure from. */
  at: number;
  /** The node that left (a slot: the holder that gave it up), and its incarnation then. */
  readonly by: string;
  incarnation: number;
  /**
   * A slot only: the other nodes this registry listed as its holders when this node learned of
   * it (stale entries of former super peers), with their incarnations. Any other holder, or
   * another incarnation of one of these, is a sub-grid signed in again under that name.
   */
  holders?: ReadonlyMap<string, number>;
}

/**
 * The members (and region voter slots) that left for good (`gridagent leave`), as this node heard
 * them: from their own `leave`, or from its leader's syncs. Such a name is never kept or made a
 * voter, is dropped from a new leader's registry, and is not taken back from a deposed leader's.
 *
 * A leader's syncs carry the names it heard within the last `carryFor` ticks, each with its age in
 * milliseconds (nodes may tick at different rates) and the incarnation that left: a voter that
 * missed every `leave` of a node, and the registry copy without it, still learns it left before
 * it may be elected (before, it took that node back as a voter from its stale copy, and the joint
 * view waited for an answer that never came). Bounded: a name is forgotten `keepFor` ticks after
 * it was first heard (its age travels with it, so passing it on does not make it younger), when
 * more than MAX_DEPARTED are known, and as soon as the registry (the leader's own, or a copy of
 * it) lists another incarnation of the node that left, or a slot held by another node: it signed
 * in again (an aborted decommission, a node re-added, a rename swap, a sub-grid re-created). Before,
 * only the leader that heard its join forgot the name; a voter elected within 10 min dropped that
 * live node from its registry and its voters, and a re-created sub-grid had no region voter slot.
 */
export class DepartedNames {
  private readonly departures = new Map<string, Departure>();

  static forTimers(clock: () => number, timers: Timers, registry: Registry, tickMs: number): DepartedNames {
    return new DepartedNames(clock, KEEP_REFRESHES * timers.registryRefreshInterval, CARRY_REFRESHES * timers.registryRefreshInterval, registry, tickMs);
  }

  constructor(
    private readonly clock: () => number,
    /** How long a name is remembered, in ticks. */
    private readonly keepFor: number,
    /** How long the leader's syncs carry a name, in ticks (at most keepFor). */
    private readonly carryFor: number,
    /** The registry (or copy) that tells a node signed in again from the one that left. */
    private readonly registry: Registry,
    /** Milliseconds per tick, for the ages on the wire. */
    private readonly tickMs: number,
  ) {}

  /** A member that left for good (its own leave: `ago` 0), with the incarnation that left. An older record is kept. */
  addMember(name: string, incarnation: number, ago = 0): void {
    this.add(name, { by: name, incarnation }, ago);
  }

  /** A region voter slot that `holder` (of `incarnation`) gave up as the last node of its sub-grid. */
  addSlot(slot: string, holder: string, incarnation: number, ago = 0): void {
    const holders = new Map<string, number>();
    for (const entry of this.registry.list()) if (entry.summary?.subgrid === slot && entry.name !== holder) holders.set(entry.name, entry.incarnation);
    this.add(slot, { by: holder, incarnation, holders }, ago);
  }

  /** What a leader's sync says left for good (ages in milliseconds). */
  addFromWire(departed: DepartedWire): void {
    const ago = Math.floor(departed.agoMs / this.tickMs);
    if (departed.holder !== undefined) this.addSlot(departed.name, departed.holder, departed.incarnation, ago);
    else this.addMember(departed.name, departed.incarnation, ago);
  }

  has(name: string): boolean {
    const departure = this.departures.get(name);
    return departure !== undefined && this.clock() - departure.at < this.keepFor;
  }

  /** Every name still remembered. */
  names(): string[] {
    return [...this.departures.keys()].filter((name) => this.has(name));
  }

  /** The tick the departure of `name` counts from, if remembered. */
  heardAt(name: string): number | undefined {
    return this.has(name) ? this.departures.get(name)!.at : undefined;
  }

  /**
   * What a leader's sync carries: the names heard within `carryFor`, with their ages; first the
   * leader itself once it leaves (`leaving`: its leave to a voter may be lost). At most
   * MAX_DEPARTED in all, as a receiver takes no more: its own name takes the place of the oldest
   * (before, it was put on top of 128 and the receiver dropped the last, the newest).
   */
  toCarry(leaving?: { name: string; incarnation: number }): DepartedWire[] {
    const now = this.clock();
    const carried = [...this.departures].filter(([name, departure]) => now - departure.at < this.carryFor && name !== leaving?.name);
    const room = MAX_DEPARTED - (leaving === undefined ? 0 : 1);
    while (carried.length > room) carried.splice(carried.indexOf(carried.reduce((oldest, entry) => (entry[1].at < oldest[1].at ? entry : oldest))), 1);
    const entries = carried.map(([name, departure]) => ({
      name,
      agoMs: (now - departure.at) * this.tickMs,
      incarnation: departure.incarnation,
      ...(departure.holders !== undefined ? { holder: departure.by } : {}),
    }));
    return leaving === undefined ? entries : [{ name: leaving.name, agoMs: 0, incarnation: leaving.incarnation }, ...entries];
  }

  /**
   * Whether `entry` (a registry entry) is a node that signed in after the departure of `name` (its
   * own, or its slot's): another incarnation than the one that left, not only a higher one. An
   * incarnation is max(previous + 1, the host's clock in seconds), but a node re-added (or renamed)
   * starts with no state, so its first one is another host's clock and may be lower than the one
   * that left (clock skew, the same second). A leaver never signs in again with its own: it sends
   * no join or heartbeat while it lingers. A registry's older entry of the leaver is taken out with
   * the leave (Registry.leave), so it is not taken for one.
   */
  signedInSince(name: string, entry: RegistryEntryWire): boolean {
    const departure = this.departures.get(name);
    if (departure === undefined) return false;
    if (entry.name === departure.by) return entry.incarnation !== departure.incarnation;
    if (departure.holders === undefined || entry.summary?.subgrid !== name) return false;
    const known = departure.holders.get(entry.name);
    return known === undefined || entry.incarnation !== known;
  }

  /**
   * Forgets every name the registry shows signed in again: another incarnation of the node that
   * left, or, for a slot, a holder this node did not know when it learned of it. Called whenever
   * the registry takes entries a departure may not have seen: a join, a registry copy, an election.
   * Returns the names forgotten (a slot's holder heard before is then stale: GroupContext.forgetHolder).
   */
  forgetSignedIn(): string[] {
    const forgotten: string[] = [];
    if (this.departures.size === 0) return forgotten;
    for (const entry of this.registry.list()) {
      const slot = entry.summary?.subgrid;
      for (const name of slot !== undefined && slot !== entry.name ? [entry.name, slot] : [entry.name]) {
        if (this.signedInSince(name, entry) && this.departures.delete(name)) forgotten.push(name);
      }
    }
    return forgotten;
  }

  /**
   * A join the leader heard: the node signed in again unless it is the incarnation that left (a
   * leaver sends no join, so that is a stale packet), and any join of a holder of a slot given up
   * is its sub-grid made again. Returns the names forgotten, as forgetSignedIn does.
   */
  forgetOnJoin(name: string, incarnation: number, slot?: string): string[] {
    const forgotten: string[] = [];
    const departure = this.departures.get(name);
    if (departure !== undefined && departure.holders === undefined && departure.incarnation !== incarnation && this.departures.delete(name)) forgotten.push(name);
    if (slot !== undefined && this.departures.get(slot)?.holders !== undefined && this.departures.delete(slot)) forgotten.push(slot);
    return forgotten;
  }

  private add(name: string, departure: Omit<Departure, 'at'>, ago: number): void {
    const now = this.clock();
    const at = now - Math.max(0, Math.floor(ago));
    if (now - at >= this.keepFor) return;
    const known = this.departures.get(name);
    // A repeat, or a record passed on: the oldest age stands, and the newest incarnation that left.
    // Not an expired record not yet purged (that made a fresh leave of the name ignored), nor a
    // slot given up by another holder (the sub-grid was made again and left again): replaced.
    if (known !== undefined && this.has(name) && known.by === departure.by) {
      known.at = Math.min(known.at, at);
      known.incarnation = Math.max(known.incarnation, departure.incarnation);
      return;
    }
    // A stale leave (the registry lists a newer incarnation of its node) is not remembered.
    const listed = this.registry.get(departure.by);
    if (listed !== undefined && listed.incarnation > departure.incarnation) {
      this.departures.delete(name);
      return;
    }
    this.departures.set(name, { ...departure, at });
    this.forgetExpired();
    while (this.departures.size > MAX_DEPARTED) this.departures.delete(this.oldest()!);
  }

  private forgetExpired(): void {
    for (const name of [...this.departures.keys()]) if (!this.has(name)) this.departures.delete(name);
  }

  /** The first to go beyond the cap: names no longer carried are older than any still carried. */
  private oldest(): string | undefined {
    let oldest: [string, Departure] | undefined;
    for (const entry of this.departures) if (oldest === undefined || entry[1].at < oldest[1].at) oldest = entry;
    return oldest?.[0];
  }
}
