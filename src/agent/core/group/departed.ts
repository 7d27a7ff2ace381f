import type { Timers } from '../timers.js';
import type { DepartedWire } from '../types.js';

/** At most this many names are remembered (the oldest go first): a sync carries them all, in one datagram. */
export const MAX_DEPARTED = 32;
/**
 * A leader's syncs carry a name for 6 registry refreshes (60 s on a sub-grid): by then every voter
 * was sent 6 registry copies without it, and a member that fell silent is suspected, dead and
 * removed (about 20 s). It is remembered 10 times as long (10 min), against a deposed leader's
 * registry merged after a partition heals.
 */
const CARRY_REFRESHES = 6;
const KEEP_REFRESHES = 60;

/**
 * The members (and region voter slots) that left for good (`gridagent leave`), as this node heard
 * them: from their own `leave`, or from its leader's syncs. Such a name is never kept or made a
 * voter, is dropped from a new leader's registry, and is not taken back from a deposed leader's.
 *
 * A leader's syncs carry the names it heard within the last `carryFor` ticks, each with its age: a
 * voter that missed every `leave` of a node, and the registry copy without it, still learns it
 * left before it may be elected (before, it took that node back as a voter from its stale copy,
 * and the joint view waited for an answer that never came). Bounded: a name is forgotten
 * `keepFor` ticks after it was first heard (its age travels with it, so passing it on does not
 * make it younger), when its node signs in again, or when more than MAX_DEPARTED are known.
 */
export class DepartedNames {
  /** Name -> the tick this node counts its departure from. */
  private readonly heardAt = new Map<string, number>();

  static forTimers(clock: () => number, timers: Timers): DepartedNames {
    return new DepartedNames(clock, KEEP_REFRESHES * timers.registryRefreshInterval, CARRY_REFRESHES * timers.registryRefreshInterval);
  }

  constructor(
    private readonly clock: () => number,
    /** How long a name is remembered, in ticks. */
    private readonly keepFor: number,
    /** How long the leader's syncs carry a name, in ticks (at most keepFor). */
    private readonly carryFor: number,
  ) {}

  /** A name heard leaving `ago` ticks before now (0: its own leave, just now). An older record is kept. */
  add(name: string, ago = 0): void {
    const now = this.clock();
    const at = now - Math.max(0, Math.floor(ago));
    if (now - at >= this.keepFor) return;
    const known = this.heardAt.get(name);
    if (known !== undefined && known <= at) return;
    this.heardAt.set(name, at);
    this.forgetExpired();
    if (this.heardAt.size > MAX_DEPARTED) this.heardAt.delete(this.oldest()!);
  }

  /** Forgotten: a node of that name signed in again. */
  delete(name: string): void {
    this.heardAt.delete(name);
  }

  has(name: string): boolean {
    const at = this.heardAt.get(name);
    return at !== undefined && this.clock() - at < this.keepFor;
  }

  /** Every name still remembered. */
  names(): string[] {
    return [...this.heardAt.keys()].filter((name) => this.has(name));
  }

  /** What a leader's sync carries: the names heard within `carryFor`, with their ages. */
  toCarry(): DepartedWire[] {
    const now = this.clock();
    return [...this.heardAt].filter(([, at]) => now - at < this.carryFor).map(([name, at]) => ({ name, ago: now - at }));
  }

  private forgetExpired(): void {
    for (const name of [...this.heardAt.keys()]) if (!this.has(name)) this.heardAt.delete(name);
  }

  private oldest(): string | undefined {
    let oldest: [string, number] | undefined;
    for (const entry of this.heardAt) if (oldest === undefined || entry[1] < oldest[1]) oldest = entry;
    return oldest?.[0];
  }
}
