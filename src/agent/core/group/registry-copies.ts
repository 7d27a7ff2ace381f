/**
 * An older voter echoes no copy number: after this many registry copies sent to it, its next
 * acknowledgement clears it anyway (as before copies were numbered), so that nothing waits forever.
 */
export const MAX_UNPROVEN_COPIES = 4;

/** A voter holder that has no proven registry copy yet. */
interface AwaitedCopy {
  /** The voter key it holds (its node name, or on the region tier its slot). */
  voterKey: string;
  /** The first copy number sent after it was added: an acknowledgement of this one or a later one proves receipt. */
  since: number;
  /** Copies sent to it so far. */
  sends: number;
  /** The tick its next copy is due at. */
  dueAt: number;
  /** Ticks from the next copy to the one after it: doubles per copy, up to the registry refresh interval. */
  backoff: number;
}

/**
 * Leader side: which voters a view added (or, on the region tier, which new super peer holds a
 * voter slot now) have no registry copy yet, and when the next copy to each is due. A promoted
 * member has no copy, and the sync that carried the last change may have gone out just before the
 * view that added it; without this it waited for the next change or the refresh, and could
 * meanwhile win an election with an empty registry.
 *
 * A copy goes over TCP (bulk): it is resent with backoff (one sync interval, then twice as long
 * each time, up to the refresh interval), while the plain view sync keeps going over UDP every
 * interval, so that a voter TCP does not reach still follows and acknowledges. An entry is cleared
 * only by an acknowledgement that echoes a copy number sent after the voter was added: a region
 * voter also acknowledges a view its slot stored from a heartbeat answer, which proves no copy.
 *
 * Entries are keyed by holder (`slot/name` on the region tier, the name on the sub-grid tier), so
 * a sub-grid's new super peer, which inherits the slot but not the copy, counts as added.
 */
export class RegistryCopies {
  private readonly awaiting = new Map<string, AwaitedCopy>();
  /** The holder each voter key was last synced at: a new one awaits a copy. */
  private readonly holders = new Map<string, string>();
  /** Copies numbered so far (increasing within a term, the only term this node leads in). */
  private numbered = 0;

  constructor(
    private readonly firstBackoff: () => number,
    private readonly maxBackoff: () => number,
  ) {}

  /** A new leadership: every current voter gets the registry with the first sync (registryDirty). */
  reset(): void {
    this.awaiting.clear();
    this.holders.clear();
  }

  /** The copy number the next registry-bearing round of syncs carries. */
  nextNumber(): number {
    return ++this.numbered;
  }

  /** `name` holds voter `voterKey` and has no copy: the next sync to it carries one. */
  await(voterKey: string, name: string, now: number): void {
    for (const [key, entry] of this.awaiting) if (entry.voterKey === voterKey) this.awaiting.delete(key);
    this.awaiting.set(holderKey(voterKey, name), { voterKey, since: this.numbered + 1, sends: 0, dueAt: now, backoff: this.firstBackoff() });
  }

  /** Only the voter keys of the current view stay tracked. */
  keepOnly(voterKeys: ReadonlySet<string>): void {
    for (const [key, entry] of this.awaiting) if (!voterKeys.has(entry.voterKey)) this.awaiting.delete(key);
    for (const key of this.holders.keys()) if (!voterKeys.has(key)) this.holders.delete(key);
  }

  /** A sync goes to `name` for `voterKey`: a holder other than the last one synced awaits a copy. Returns whether a copy is due. */
  syncing(voterKey: string, name: string, now: number): boolean {
    const previous = this.holders.get(voterKey);
    this.holders.set(voterKey, name);
    if (previous !== undefined && previous !== name) this.await(voterKey, name, now);
    const entry = this.awaiting.get(holderKey(voterKey, name));
    return entry !== undefined && now >= entry.dueAt;
  }

  /** A copy went to `name` (due or with a round to all): the next is due after the backoff, which doubles. */
  sent(voterKey: string, name: string, now: number): void {
    const entry = this.awaiting.get(holderKey(voterKey, name));
    if (entry === undefined) return;
    entry.sends++;
    entry.dueAt = now + entry.backoff;
    entry.backoff = Math.min(entry.backoff * 2, this.maxBackoff());
  }

  /** An acknowledgement from `name` for `voterKey`, echoing the copy it holds (`undefined`: an older agent). */
  acknowledged(voterKey: string, name: string, copy: number | undefined): void {
    const key = holderKey(voterKey, name);
    const entry = this.awaiting.get(key);
    if (entry === undefined) return;
    if (copy !== undefined ? copy >= entry.since : entry.sends >= MAX_UNPROVEN_COPIES) this.awaiting.delete(key);
  }

  /** Does `name`, holding `voterKey`, still await a copy? */
  awaits(voterKey: string, name: string): boolean {
    return this.awaiting.has(holderKey(voterKey, name));
  }
}

/** The sub-grid tier's voter key is the name itself; a region slot is held by one super peer after another. */
function holderKey(voterKey: string, name: string): string {
  return voterKey === name ? name : `${voterKey}/${name}`;
}
