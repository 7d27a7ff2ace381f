import { BoundedMap } from '../core/bounded-map.js';

export interface BadMacSourceLimits {
  /** Source prefixes remembered at most; the least recently failing one is forgotten first. */
  capacity: number;
  /** Failed MAC checks a source prefix may cost before it cools down. */
  failuresBeforeCooldown: number;
  /** How long a cooled-down source's datagrams are dropped unchecked; then one check, and another cooldown if it fails. */
  cooldownMs: number;
}

interface Failures {
  count: number;
  coolingUntil: number;
}

/**
 * Source prefixes (source-prefix.ts) whose datagrams failed the MAC, each with its failures and
 * cooldown, in a table of fixed capacity: a flood from ever new (spoofed) addresses pushes old
 * entries out instead of growing it, and the MAC budget (mac-check-budget.ts) bounds what such a
 * flood costs meanwhile. One address that keeps failing costs `failuresBeforeCooldown` checks,
 * then one per cooldown.
 */
export class BadMacSources {
  private readonly failures: BoundedMap<string, Failures>;

  constructor(private readonly limits: BadMacSourceLimits) {
    this.failures = new BoundedMap(limits.capacity);
  }

  get size(): number {
    return this.failures.size;
  }

  coolingDown(prefix: string, now: number): boolean {
    const entry = this.failures.get(prefix);
    return entry !== undefined && now < entry.coolingUntil;
  }

  failed(prefix: string, now: number): void {
    const count = (this.failures.get(prefix)?.count ?? 0) + 1;
    if (count < this.limits.failuresBeforeCooldown) {
      this.failures.set(prefix, { count, coolingUntil: 0 });
      return;
    }
    // One failure short of the limit once the cooldown ends: a source that still fails then cools down again after one check.
    this.failures.set(prefix, { count: this.limits.failuresBeforeCooldown - 1, coolingUntil: now + this.limits.cooldownMs });
  }

  /** A datagram from the prefix passed the MAC: its sender holds the key, its failures were someone else's (or a key being rolled out). */
  passed(prefix: string): void {
    this.failures.delete(prefix);
  }
}
