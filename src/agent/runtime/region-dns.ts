import type { SrvRecord } from 'node:dns';
import { Resolver } from 'node:dns/promises';

/** The queries the region resolvers make (region-resolver.ts): Node's c-ares Resolver answers them. */
export interface RegionDns {
  resolveSrv(name: string): Promise<SrvRecord[]>;
  resolve4(name: string): Promise<string[]>;
}

/** What the c-ares resolver is made with; each part defaults to the system's. */
export interface RereadingResolverOptions {
  /** A new c-ares resolver, reading /etc/resolv.conf as it is now. */
  make?: () => RegionDns;
  /** A monotonic clock for the resolver's age. */
  now?: () => number;
}

/** A resolver this old is made anew even while it answers: DHCP may have changed the nameservers. */
const RENEW_AFTER_MS = 5 * 60_000;

/** c-ares' answers that the name has no such record in DNS: it may still be in /etc/hosts, which only getaddrinfo reads. */
const NOT_IN_DNS = new Set(['ENOTFOUND', 'ENODATA', 'NOTFOUND', 'NODATA']);

/** A query's failure that is DNS's answer that the name has no such record (not a timeout, a refusal or a server failure). */
export function notInDns(error: unknown): boolean {
  return NOT_IN_DNS.has((error as NodeJS.ErrnoException).code ?? '');
}

/** A c-ares resolver as the agent uses it: 2 s per try, 2 tries. */
const newResolver = (): RegionDns => new Resolver({ timeout: 2000, tries: 2 });

/**
 * The c-ares resolver of region names, made anew after a query it did not answer and every 5
 * minutes. A Resolver reads /etc/resolv.conf once, when it is made (checked: in a mount namespace
 * whose /etc/resolv.conf changed, an old Resolver's getServers() kept the old nameserver, a new one
 * had the new): one made at start asked the nameservers of the boot for good, after DHCP or the
 * operator had changed them. The old resolver is left to finish its queries, not cancelled: a
 * cancel would fail the other names' queries under way on it.
 */
export class RereadingResolver implements RegionDns {
  private readonly make: () => RegionDns;
  private readonly now: () => number;
  private current: RegionDns;
  private madeAt: number;

  constructor(options: RereadingResolverOptions = {}) {
    this.make = options.make ?? newResolver;
    this.now = options.now ?? (() => performance.now());
    this.current = this.make();
    this.madeAt = this.now();
  }

  resolveSrv(name: string): Promise<SrvRecord[]> {
    return this.ask((dns) => dns.resolveSrv(name));
  }

  resolve4(name: string): Promise<string[]> {
    return this.ask((dns) => dns.resolve4(name));
  }

  private async ask<T>(query: (dns: RegionDns) => Promise<T>): Promise<T> {
    if (this.now() - this.madeAt >= RENEW_AFTER_MS) this.renew();
    const asked = this.current;
    try {
      return await query(asked);
    } catch (error) {
      // Queries that failed together on one resolver renew it once: the later ones find it already new.
      if (!notInDns(error) && asked === this.current) this.renew();
      throw error;
    }
  }

  private renew(): void {
    this.current = this.make();
    this.madeAt = this.now();
  }
}
