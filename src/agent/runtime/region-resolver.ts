import type { SrvRecord } from 'node:dns';
import { isIPv4 } from 'node:net';
import { lookupIPv4, type ResolveIPv4 } from './ipv4-lookup.js';
import { KeptTargets } from './kept-targets.js';
import { lookupWithinTimeout, NameLookup, type LookupOutcome } from './name-lookup.js';
import { cappedTargets } from './name-targets.js';
import { notInDns, RereadingResolver, type RegionDns } from './region-dns.js';

/** What resolving a region peer's name uses; each part defaults to the system's. */
export interface RegionResolution {
  /** SRV and A queries (default: a c-ares resolver made anew as /etc/resolv.conf may change). Shared by the resolvers of other regions' names (region-resolvers.ts): one c-ares channel, not one per name. */
  dns?: RegionDns;
  /** An SRV target's IPv4 addresses: getaddrinfo for family 4, as the seeds' names (seed-resolver.ts). */
  resolveIPv4?: ResolveIPv4;
  /** A monotonic clock for the cache: a wall clock stepped back would keep an answer that much longer. */
  now?: () => number;
  /** How long a getaddrinfo lookup may take before it is skipped this time (default 5 s, as a seed's). */
  lookupTimeoutMs?: number;
  /**
   * Whether the name itself goes to getaddrinfo when c-ares did not answer, as when it found nothing
   * (default true: one name, the node's own region's). Not for the other regions' names: dozens
   * share one resolver, and a dead nameserver would hang a getaddrinfo for each, holding libuv's 4
   * threads (the seeds' lookups with them).
   */
  lookUpUnanswered?: boolean;
  /** The log's warn: said once when the name stops resolving, once more when it resolves again (none by default). */
  warn?: (msg: string, fields: Record<string, unknown>) => void;
}

/**
 * SRV targets resolved per answer, the most preferred first (RFC 2782: lowest priority, then
 * highest weight): each was a lookup of its own, and a zone listing dozens would start dozens at once.
 */
const MAX_SRV_TARGETS = 8;

/**
 * Resolves the region peer's DNS name through Node's resolver: SRV `_gridagent._udp.NAME`
 * first (it carries ports), then A records with the configured port, then getaddrinfo. Answers are
 * IPv4 HOST:PORT targets, cached for 30 s so that discovery backoff does not turn into a DNS storm; a
 * resolver that did not answer (at boot, DNS not up yet) is asked again after 2 s, as the seeds' is.
 * An SRV target's name is resolved here, for IPv4 only, like a seed's: handed to the udp4 socket,
 * it was looked up at every send, a name without an IPv4 address failed with nothing in the log,
 * and the daemon could not tell its own advertised address among the targets (a region peer sent
 * its discovers to itself).
 * getaddrinfo last, when c-ares found nothing or did not answer: c-ares reads no /etc/hosts and
 * applies no search domain, so a region name kept in /etc/hosts, or written short, was never found
 * (and a new sub-grid's super peer never found its region), with nothing in the log.
 */
export class RegionPeerResolver {
  private readonly kept: KeptTargets;
  /** The lookup under way: callers meanwhile share it rather than start their own. */
  private pending: Promise<string[]> | null = null;
  /** The name's own getaddrinfo lookup (none without a name): one at a time, as a seed's. */
  private readonly nameLookup: NameLookup | null;
  /** Whether the name's failure to resolve was said in the log: then its resolving again is said too. */
  private warned = false;
  private readonly dns: RegionDns;
  private readonly resolveIPv4: ResolveIPv4;

  constructor(
    name: string | null,
    private readonly defaultPort: number,
    private readonly using: RegionResolution = {},
  ) {
    this.dns = using.dns ?? new RereadingResolver();
    this.resolveIPv4 = using.resolveIPv4 ?? lookupIPv4;
    this.kept = new KeptTargets(using.now);
    this.nameLookup = name === null ? null : new NameLookup(name, { resolve: this.resolveIPv4, timeoutMs: using.lookupTimeoutMs });
  }

  async resolve(): Promise<string[]> {
    if (this.nameLookup === null) return [];
    const kept = this.kept.current();
    if (kept !== undefined) return kept;
    if (this.pending === null) {
      this.pending = this.lookUp(this.nameLookup).finally(() => (this.pending = null));
    }
    return this.pending;
  }

  private async lookUp(nameLookup: NameLookup): Promise<string[]> {
    const name = nameLookup.name;
    let targets: string[] = [];
    // Whether the DNS failed to answer a query, rather than answering that the name has no such record.
    let unanswered = false;
    // Whether an SRV target's lookup failed to answer: the A fallback's answer for the name itself does not settle that.
    let targetUnanswered = false;
    try {
      const records = preferred(await this.dns.resolveSrv(`_gridagent._udp.${name}`));
      const resolved = await Promise.all(
        records.map(async (record) => {
          const found = await this.addressesOf(record.name);
          if ('unanswered' in found) {
            targetUnanswered = true;
            return [];
          }
          return found.addresses.map((address) => `${address}:${record.port}`);
        }),
      );
      targets = resolved.flat();
    } catch (error) {
      // No SRV record: fall back to A records.
      unanswered = !notInDns(error);
    }
    if (targets.length === 0) {
      try {
        targets = (await this.dns.resolve4(name)).map((address) => `${address}:${this.defaultPort}`);
        unanswered = false;
      } catch (error) {
        targets = [];
        unanswered ||= !notInDns(error);
      }
    }
    if (targets.length === 0 && (!unanswered || (this.using.lookUpUnanswered ?? true))) {
      // Not in DNS as c-ares asks it, or c-ares did not answer (its nameservers may be those of the
      // boot): as the rest of the node sees names, /etc/hosts and search domains included.
      const found = await nameLookup.lookUp();
      if ('unanswered' in found) {
        unanswered = true;
      } else {
        targets = found.addresses.map((address) => `${address}:${this.defaultPort}`);
        if (targets.length > 0) unanswered = false;
      }
    }
    // However many addresses the name and its SRV targets gave, each discovery round sends to a few (name-targets.ts).
    targets = this.kept.keep(cappedTargets(targets), unanswered || targetUnanswered);
    this.sayWhetherResolved(name, targets, unanswered);
    return targets;
  }

  /** Said once when the name stops resolving (at start too), once more when it resolves again: not at every discovery round. */
  private sayWhetherResolved(name: string, targets: string[], unanswered: boolean): void {
    const warn = this.using.warn;
    if (warn === undefined) return;
    if (targets.length === 0 && !this.warned) {
      this.warned = true;
      warn(
        unanswered
          ? 'the region peer name does not resolve: the resolver did not answer; discovery goes without it until it does'
          : 'the region peer name does not resolve: no SRV or A record in DNS, nor in /etc/hosts; discovery goes without it until it does',
        { regionPeerName: name, fix: 'add an SRV record _gridagent._udp.NAME or an A record for the name, or fix regionPeerName in the config' },
      );
    } else if (targets.length > 0 && this.warned) {
      this.warned = false;
      warn('the region peer name resolves again', { regionPeerName: name, targets });
    }
  }

  /**
   * An SRV target's IPv4 addresses; none where it has none or its lookup does not answer in time,
   * and then `unanswered`, so that an empty result is asked again after 2 s rather than kept 30 s.
   * Asked of the shared c-ares resolver first (its own timeouts, no thread): getaddrinfo runs on
   * libuv's pool of 4 threads, which the seeds' lookups share, and a lookup that hangs holds its
   * thread whatever our timeout says. getaddrinfo only for a name DNS does not know (it may be in
   * /etc/hosts), not for one whose query failed or timed out: its nameserver would hang that too.
   */
  private async addressesOf(target: string): Promise<LookupOutcome> {
    if (isIPv4(target)) return { addresses: [target] };
    try {
      const addresses = await this.dns.resolve4(target);
      if (addresses.length > 0) return { addresses };
    } catch (error) {
      if (!notInDns(error)) return { unanswered: (error as Error).message };
    }
    return lookupWithinTimeout(this.resolveIPv4(target), this.using.lookupTimeoutMs);
  }
}

/** The SRV records to use: at most MAX_SRV_TARGETS, lowest priority first, then highest weight. */
function preferred(records: SrvRecord[]): SrvRecord[] {
  return [...records].sort((a, b) => a.priority - b.priority || b.weight - a.weight).slice(0, MAX_SRV_TARGETS);
}
