import type { Packet } from '../core/types.js';
import { MAX_DATAGRAM_BYTES, precheckPacket, type DecodeResult, type DropReason } from '../core/wire.js';
import { BadMacSources } from './bad-mac-sources.js';
import { MacCheckBudget } from './mac-check-budget.js';
import { sourcePrefix } from './source-prefix.js';

/** Why the intake dropped a datagram without checking its MAC (counted in /metrics beside the decoder's reasons). */
export type DatagramDrop = 'macBudget' | 'sourceCoolingDown';

export interface DatagramLimits {
  /** MAC work per second for datagrams from sources that are not known peers, in bytes hashed (mac-check-budget.ts). */
  bytesPerSecond: number;
  /** What that budget may save up while unused. */
  burstBytes: number;
  /** What one MAC check costs beyond its input, in bytes hashed. */
  macCheckOverheadBytes: number;
  /** Failing source prefixes remembered at most (bad-mac-sources.ts). */
  capacity: number;
  failuresBeforeCooldown: number;
  cooldownMs: number;
  failureWindowMs: number;
}

/**
 * 8 MiB/s of MAC work is about 4,000 checks of small datagrams a second, or 450 of 16 KiB ones:
 * 3 to 5 % of one core at the costs measured on the idle lab machine (8.7 us at 60 bytes, 32 us at
 * 16 KiB), where an unbounded flood of forged datagrams took all of it and forced an election. It
 * is twice the first heartbeats of a 2,000-member sub-grid reaching a super peer that does not know
 * them yet (one a second each, until the registry lists them), and the burst holds 2,000 of them.
 * A cooldown of 2 s is below the 4 s cap of the discovery backoff: a real node that failed (still
 * on a rotated-out grid key) gets in with its next retry or the one after once it holds the new
 * key, while one failing address still costs a check per 2 s. Failures count for 10 s.
 */
export const DEFAULT_DATAGRAM_LIMITS: DatagramLimits = {
  bytesPerSecond: 8 * 1024 * 1024,
  burstBytes: 4 * 1024 * 1024,
  macCheckOverheadBytes: 2048,
  capacity: 8192,
  failuresBeforeCooldown: 4,
  cooldownMs: 2_000,
  failureWindowMs: 10_000,
};

/**
 * Inbound UDP (unicast and multicast) before the core sees it. A keyless sender that copies the
 * magic and version makes every datagram cost a full HMAC (60 times a junk datagram's cost), so
 * what such datagrams may cost is bounded:
 *   - checks that need no key come first, for every source (wire.ts, precheckPacket);
 *   - a source that is a known peer (an address the core holds for a member, voter or leader it
 *     heard from with a valid, fresh packet: known-peer-hosts.ts) is always checked;
 *   - any other source is checked only while the MAC budget lasts, and not at all while it cools
 *     down after repeated recent MAC failures (bad-mac-sources.ts, a table of fixed size; a
 *     datagram that passes does not clear them, or replaying one captured packet would).
 * A newcomer (a first join, a multicast discover) is checked at once when nothing floods the node;
 * under a flood from many addresses each of its datagrams is checked with about the chance
 * budget / flood rate (mac-check-budget.ts), and its discovery retries (every 4 s at most) get it
 * in after flood rate / budget of them on average. Whoever spoofs a known peer's address is
 * checked like that peer, and can keep a newcomer whose address it spoofs cooling down.
 */
export class DatagramIntake {
  private known = new Set<string>();
  private readonly budget: MacCheckBudget;
  private readonly badSources: BadMacSources;

  constructor(
    limits: DatagramLimits,
    /** Checks the MAC and decodes: the expensive part, that the limits ration. */
    private readonly verify: (packet: Buffer) => DecodeResult,
    private readonly deliver: (packet: Packet, fromAddr: string, bytes: number) => void,
    private readonly drop: (reason: DropReason | DatagramDrop, bytes: number) => void,
    /** Milliseconds, monotonic. */
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.budget = new MacCheckBudget(limits.bytesPerSecond, limits.burstBytes, limits.macCheckOverheadBytes);
    this.badSources = new BadMacSources(limits);
  }

  /** Replaces the addresses (host part only) of the peers this node knows; their datagrams are always checked. */
  setKnownPeers(hosts: Iterable<string>): void {
    const known = new Set<string>();
    for (const host of hosts) known.add(sourcePrefix(host));
    this.known = known;
  }

  /** Number of source prefixes held for their MAC failures (bounded by the capacity). */
  get trackedSources(): number {
    return this.badSources.size;
  }

  receive(packet: Buffer, address: string, port: number): void {
    const unfit = precheckPacket(packet, MAX_DATAGRAM_BYTES);
    if (unfit !== null) return this.drop(unfit, packet.length);
    const prefix = sourcePrefix(address);
    const known = this.known.has(prefix);
    if (!known) {
      const now = this.clock();
      if (this.badSources.coolingDown(prefix, now)) return this.drop('sourceCoolingDown', packet.length);
      if (!this.budget.take(packet.length, now)) return this.drop('macBudget', packet.length);
    }
    const decoded = this.verify(packet);
    if (!decoded.ok) {
      if (!known && decoded.reason === 'badMac') this.badSources.failed(prefix, this.clock());
      return this.drop(decoded.reason, packet.length);
    }
    this.deliver({ header: decoded.header, message: decoded.message }, `${address}:${port}`, packet.length);
  }
}
