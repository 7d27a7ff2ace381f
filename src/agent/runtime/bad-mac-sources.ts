import { BoundedMap } from '../core/bounded-map.js';

export interface BadMacSourceLimits {
  /** Source prefixes remembered at most; the least recently failing one is forgotten first. */
  capacity: number;
  /** Failed MAC checks a source prefix may cost within `failureWindowMs` before it cools down. */
  failuresBeforeCooldown: number;
  /** How long a cooled-down source's datagrams are dropped unchecked; then one check, and another cooldown if it fails. */
  cooldownMs: number;
  /**
   * A source's failures are forgotten once its last one is this old. Longer than the cooldown, so
   * that a source failing on, checked once as each cooldown ends, cools down again at that check
   * instead of earning a fresh set of failures (one check per cooldown, not `failuresBeforeCooldown`).
   */
  failureWindowMs: number;
}

interface Failures {
  count: number;
  lastFailedAt: number;
  coolingUntil: number;
}

/**
 * Source prefixes (source-prefix.ts) whose datagrams failed the MAC, each with its recent failures
 * and cooldown, in a table of fixed capacity: a flood from ever new (spoofed) addresses pushes old
 * entries out instead of growing it, and the MAC budget (mac-check-budget.ts) bounds what such a
 * flood costs meanwhile. One address that keeps failing costs `failuresBeforeCooldown` checks,
 * then one per cooldown.
 *
 * A datagram that passes the MAC does not clear a source's failures: a keyless sender can replay
 * a captured real packet (multicast discovers cross the LAN) to wipe its own forgeries' record.
 * Failures expire by time instead, so a real node that failed (still on a rotated-out key) is
 * held back by one short cooldown at most once it holds the right key.
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
    const entry = this.failures.get(prefix);
    const recent = entry !== undefined && now - entry.lastFailedAt <= this.limits.failureWindowMs ? entry.count : 0;
    const count = recent + 1;
    if (count < this.limits.failuresBeforeCooldown) {
      this.failures.set(prefix, { count, lastFailedAt: now, coolingUntil: 0 });
      return;
    }
    // One failure short of the limit once the cooldown ends: a source that still fails then cools down again after one check.
    this.failures.set(prefix, { count: this.limits.failuresBeforeCooldown - 1, lastFailedAt: now, coolingUntil: now + this.limits.cooldownMs });
  }
}
