import { isIPv4 } from 'node:net';
import { lookupIPv4, type ResolveIPv4 } from './ipv4-lookup.js';
import { LOOKUP_TIMEOUT_MS } from './name-lookup.js';

/** How long a name's addresses are used before it is looked up again (a peer's record may move). */
const REFRESH_MS = 60_000;

/** Lookups waited for at once: getaddrinfo runs on libuv's pool of 4 threads, which the state file's writes share. */
const LOOKUPS_IN_FLIGHT = 2;

/**
 * getaddrinfo calls not ended yet, waited for or given up on: a lookup past its timeout cannot be
 * cancelled and still holds its libuv thread, so no lookup starts beyond this, which leaves one of
 * the 4 threads to the state file's writes however many lookups hang.
 */
const MOST_UNENDED_LOOKUPS = 3;

/** What KnownPeerNames uses: an IPv4-only resolver, a monotonic clock, and the log's warn. */
export interface PeerNameResolution {
  resolve?: ResolveIPv4;
  /** Milliseconds, monotonic. */
  now?: () => number;
  warn?: (msg: string, fields: Record<string, unknown>) => void;
  /** How long a lookup is waited for before it counts as failed (default LOOKUP_TIMEOUT_MS, every name lookup's: 5 s). */
  lookupTimeoutMs?: number;
}

interface Resolved {
  addresses: string[];
  /** When the last lookup of the name ended or was given up on (-Infinity: never). */
  at: number;
}

/**
 * The IPv4 addresses of the known peers' hosts, for the intake's exemption from the MAC-check limit
 * (datagram-intake.ts), which matches a datagram's source address. The core holds peers as
 * HOST:PORT, and HOST may be a DNS name (config.ts allows one in `advertise`): matched as it was,
 * such a peer was never known, and under a flood its heartbeats were dropped like a stranger's.
 *
 * A name is answered from the last lookup and never waited for: the tick thread asks here, so a
 * missing or stale name only queues a lookup (a few at a time), whose answer the next call uses. A
 * lookup that fails, or does not answer in 5 s, keeps the addresses it had; an answer that comes
 * later is still used. A name is never queued or looked up twice at once. Names the caller no
 * longer passes are forgotten, so the cache is no larger than the set of known peers.
 */
export class KnownPeerNames {
  private readonly names = new Map<string, Resolved>();
  private readonly queue: string[] = [];
  /** Names queued or whose lookup has not ended (given up on or not): a name dropped and passed again meanwhile is not looked up twice. */
  private readonly pending = new Set<string>();
  private waitedFor = 0;
  /** Lookups given up on whose getaddrinfo has not ended: each holds a libuv thread. */
  private hung = 0;
  private warned = false;
  private readonly resolve: ResolveIPv4;
  private readonly now: () => number;
  private readonly warn: (msg: string, fields: Record<string, unknown>) => void;
  private readonly timeoutMs: number;

  constructor(using: PeerNameResolution = {}) {
    this.resolve = using.resolve ?? lookupIPv4;
    this.now = using.now ?? (() => performance.now());
    this.warn = using.warn ?? (() => undefined);
    this.timeoutMs = using.lookupTimeoutMs ?? LOOKUP_TIMEOUT_MS;
  }

  /** The hosts as IPv4 addresses: literals as they are, names as last resolved (none yet for a name never resolved). */
  addresses(hosts: Iterable<string>): Set<string> {
    const addresses = new Set<string>();
    const seen = new Set<string>();
    const now = this.now();
    for (const host of hosts) {
      if (isIPv4(host)) {
        addresses.add(host);
        continue;
      }
      seen.add(host);
      let entry = this.names.get(host);
      if (entry === undefined) {
        entry = { addresses: [], at: -Infinity };
        this.names.set(host, entry);
      }
      for (const address of entry.addresses) addresses.add(address);
      if (!this.pending.has(host) && now - entry.at >= REFRESH_MS) {
        this.pending.add(host);
        this.queue.push(host);
      }
    }
    for (const name of this.names.keys()) if (!seen.has(name)) this.names.delete(name);
    this.pump();
    return addresses;
  }

  private pump(): void {
    while (this.waitedFor < LOOKUPS_IN_FLIGHT && this.queue.length > 0) {
      if (this.waitedFor + this.hung >= MOST_UNENDED_LOOKUPS) {
        this.warnHung();
        return;
      }
      const name = this.queue.shift()!;
      if (!this.names.has(name)) {
        this.pending.delete(name);
        continue;
      }
      this.lookUp(name);
    }
  }

  private lookUp(name: string): void {
    this.waitedFor++;
    let givenUp = false;
    const timer = setTimeout(() => {
      givenUp = true;
      this.waitedFor--;
      this.hung++;
      this.settle(name, undefined);
      this.pump();
    }, this.timeoutMs);
    // The timer alone must not keep the process alive (a stopping agent waits for no DNS).
    timer.unref?.();
    this.resolve(name)
      .then(
        (addresses) => this.settle(name, addresses),
        () => {
          if (!givenUp) this.settle(name, undefined);
        },
      )
      .finally(() => {
        clearTimeout(timer);
        this.pending.delete(name);
        if (givenUp) this.hung--;
        else this.waitedFor--;
        if (this.hung === 0) this.warned = false;
        this.pump();
      });
  }

  private warnHung(): void {
    if (this.warned) return;
    this.warned = true;
    this.warn('DNS lookups of peer names do not answer: no further lookup starts until one ends, and known peers held by a name keep their last addresses; check the node\'s resolver (/etc/resolv.conf)', { hungLookups: this.hung, timeoutMs: this.timeoutMs, queued: this.queue.length });
  }

  /** `addresses` undefined: the resolver did not answer (or not in time), so the last answer stays. */
  private settle(name: string, addresses: string[] | undefined): void {
    const entry = this.names.get(name);
    if (entry === undefined) return;
    entry.at = this.now();
    if (addresses !== undefined) entry.addresses = addresses.filter((address) => isIPv4(address));
  }
}
