import { isIPv4 } from 'node:net';
import { lookupIPv4, type ResolveIPv4 } from './ipv4-lookup.js';

/** How long a name's addresses are used before it is looked up again (a peer's record may move). */
const REFRESH_MS = 60_000;

/** Lookups at once: getaddrinfo runs on libuv's pool of 4 threads, which the state file's writes share. */
const LOOKUPS_IN_FLIGHT = 2;

interface Resolved {
  addresses: string[];
  /** When the last lookup of the name ended (-Infinity: never). */
  at: number;
  queued: boolean;
}

/**
 * The IPv4 addresses of the known peers' hosts, for the intake's exemption from the MAC-check limit
 * (datagram-intake.ts), which matches a datagram's source address. The core holds peers as
 * HOST:PORT, and HOST may be a DNS name (config.ts allows one in `advertise`): matched as it was,
 * such a peer was never known, and under a flood its heartbeats were dropped like a stranger's.
 *
 * A name is answered from the last lookup and never waited for: the tick thread asks here, so a
 * missing or stale name only queues a lookup (a few at a time), whose answer the next call uses. A
 * lookup that fails keeps the addresses it had. Names the caller no longer passes are forgotten,
 * so the cache is no larger than the set of known peers.
 */
export class KnownPeerNames {
  private readonly names = new Map<string, Resolved>();
  private readonly queue: string[] = [];
  private inFlight = 0;

  constructor(
    private readonly resolve: ResolveIPv4 = lookupIPv4,
    /** Milliseconds, monotonic. */
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** The hosts as IPv4 addresses: literals as they are, names as last resolved (none yet for a name never resolved). */
  addresses(hosts: Iterable<string>): Set<string> {
    const addresses = new Set<string>();
    const seen = new Set<string>();
    const now = this.clock();
    for (const host of hosts) {
      if (isIPv4(host)) {
        addresses.add(host);
        continue;
      }
      seen.add(host);
      let entry = this.names.get(host);
      if (entry === undefined) {
        entry = { addresses: [], at: -Infinity, queued: false };
        this.names.set(host, entry);
      }
      for (const address of entry.addresses) addresses.add(address);
      if (!entry.queued && now - entry.at >= REFRESH_MS) {
        entry.queued = true;
        this.queue.push(host);
      }
    }
    for (const name of this.names.keys()) if (!seen.has(name)) this.names.delete(name);
    this.pump();
    return addresses;
  }

  private pump(): void {
    while (this.inFlight < LOOKUPS_IN_FLIGHT && this.queue.length > 0) {
      const name = this.queue.shift()!;
      if (!this.names.has(name)) continue;
      this.inFlight++;
      this.resolve(name)
        .then(
          (addresses) => this.settle(name, addresses),
          () => this.settle(name, undefined),
        )
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }

  /** `addresses` undefined: the resolver did not answer, so the last answer stays. */
  private settle(name: string, addresses: string[] | undefined): void {
    const entry = this.names.get(name);
    if (entry === undefined) return;
    entry.queued = false;
    entry.at = this.clock();
    if (addresses !== undefined) entry.addresses = addresses.filter((address) => isIPv4(address));
  }
}
