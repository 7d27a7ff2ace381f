import type { SrvRecord } from 'node:dns';
import { Resolver } from 'node:dns/promises';
import { isIPv4 } from 'node:net';
import { ANSWER_MS, UNANSWERED_MS } from './dns-answer-ages.js';
import { lookupIPv4, type ResolveIPv4 } from './ipv4-lookup.js';

/** A c-ares resolver as the agent uses it: 2 s per try, 2 tries. */
export function newResolver(): Resolver {
  return new Resolver({ timeout: 2000, tries: 2 });
}

/** The queries the resolver makes: Node's c-ares Resolver answers them. */
export interface RegionDns {
  resolveSrv(name: string): Promise<SrvRecord[]>;
  resolve4(name: string): Promise<string[]>;
}

/** What resolving a region peer's name uses; each part defaults to the system's. */
export interface RegionResolution {
  /** SRV and A queries. Shared by the resolvers of other regions' names (region-resolvers.ts): one c-ares channel, not one per name. */
  dns?: RegionDns;
  /** An SRV target's IPv4 addresses: getaddrinfo for family 4, as the seeds' names (seed-resolver.ts). */
  resolveIPv4?: ResolveIPv4;
  /** A monotonic clock for the cache: a wall clock stepped back would keep an answer that much longer. */
  now?: () => number;
  /** How long an SRV target's lookup may take before it is skipped this time (default 5 s, as a seed's). */
  lookupTimeoutMs?: number;
}

/** getaddrinfo has no timeout of its own; a dead nameserver can take 10 to 30 s. */
const LOOKUP_TIMEOUT_MS = 5_000;
/**
 * SRV targets resolved per answer, the most preferred first (RFC 2782: lowest priority, then
 * highest weight): each was a lookup of its own, and a zone listing dozens would start dozens at once.
 */
const MAX_SRV_TARGETS = 8;
/** c-ares' answers that the name has no A record in DNS: it may still be in /etc/hosts, which only getaddrinfo reads. */
const NOT_IN_DNS = new Set(['ENOTFOUND', 'ENODATA', 'NOTFOUND', 'NODATA']);

/**
 * Resolves the region peer's DNS name through Node's resolver: SRV `_gridagent._udp.NAME`
 * first (it carries ports), then A records with the configured port. Answers are IPv4
 * HOST:PORT targets, cached for 30 s so that discovery backoff does not turn into a DNS storm; a
 * resolver that did not answer (at boot, DNS not up yet) is asked again after 2 s, as the seeds' is.
 * An SRV target's name is resolved here, for IPv4 only, like a seed's: handed to the udp4 socket,
 * it was looked up at every send, a name without an IPv4 address failed with nothing in the log,
 * and the daemon could not tell its own advertised address among the targets (a region peer sent
 * its discovers to itself).
 */
export class RegionPeerResolver {
  private cache: { at: number; keepMs: number; targets: string[] } | null = null;
  /** The lookup under way: callers meanwhile share it rather than start their own. */
  private pending: Promise<string[]> | null = null;
  private readonly dns: RegionDns;
  private readonly resolveIPv4: ResolveIPv4;
  private readonly now: () => number;

  constructor(
    private readonly name: string | null,
    private readonly defaultPort: number,
    private readonly using: RegionResolution = {},
  ) {
    this.dns = using.dns ?? newResolver();
    this.resolveIPv4 = using.resolveIPv4 ?? lookupIPv4;
    this.now = using.now ?? (() => performance.now());
  }

  async resolve(): Promise<string[]> {
    if (this.name === null) return [];
    if (this.cache && this.now() - this.cache.at < this.cache.keepMs) return this.cache.targets;
    if (this.pending === null) {
      this.pending = this.lookUp(this.name).finally(() => (this.pending = null));
    }
    return this.pending;
  }

  private async lookUp(name: string): Promise<string[]> {
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
          targetUnanswered ||= found.unanswered;
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
    this.cache = { at: this.now(), keepMs: targets.length === 0 && (unanswered || targetUnanswered) ? UNANSWERED_MS : ANSWER_MS, targets };
    return targets;
  }

  /**
   * An SRV target's IPv4 addresses; none where it has none or its lookup does not answer in time,
   * and then `unanswered`, so that an empty result is asked again after 2 s rather than kept 30 s.
   * Asked of the shared c-ares resolver first (its own timeouts, no thread): getaddrinfo runs on
   * libuv's pool of 4 threads, which the seeds' lookups share, and a lookup that hangs holds its
   * thread whatever our timeout says. getaddrinfo only for a name DNS does not know (it may be in
   * /etc/hosts), not for one whose query failed or timed out: its nameserver would hang that too.
   */
  private async addressesOf(target: string): Promise<TargetAddresses> {
    if (isIPv4(target)) return { addresses: [target], unanswered: false };
    try {
      const addresses = await this.dns.resolve4(target);
      if (addresses.length > 0) return { addresses, unanswered: false };
    } catch (error) {
      if (!notInDns(error)) return { addresses: [], unanswered: true };
    }
    let timer: NodeJS.Timeout | undefined;
    const timeoutMs = this.using.lookupTimeoutMs ?? LOOKUP_TIMEOUT_MS;
    const timeout = new Promise<TargetAddresses>((resolve) => {
      timer = setTimeout(() => resolve({ addresses: [], unanswered: true }), timeoutMs);
    });
    try {
      return await Promise.race([this.resolveIPv4(target).then((addresses) => ({ addresses, unanswered: false })), timeout]);
    } catch {
      // lookupIPv4 throws only when the resolver did not answer (a name without an address is an empty list).
      return { addresses: [], unanswered: true };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** What an SRV target's lookup found, and whether a query went unanswered (timed out, refused, failed) rather than finding nothing. */
interface TargetAddresses {
  addresses: string[];
  unanswered: boolean;
}

/** The SRV records to use: at most MAX_SRV_TARGETS, lowest priority first, then highest weight. */
function preferred(records: SrvRecord[]): SrvRecord[] {
  return [...records].sort((a, b) => a.priority - b.priority || b.weight - a.weight).slice(0, MAX_SRV_TARGETS);
}

/** A query's failure that is DNS's answer that the name has no such record (not a timeout, a refusal or a server failure). */
function notInDns(error: unknown): boolean {
  return NOT_IN_DNS.has((error as NodeJS.ErrnoException).code ?? '');
}
