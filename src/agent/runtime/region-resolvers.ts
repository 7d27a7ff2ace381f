import { RereadingResolver } from './region-dns.js';
import { RegionPeerResolver } from './region-resolver.js';

/**
 * The resolvers of other regions' DNS names (their region peers'), one per name for its answer
 * cache, all over one shared c-ares resolver: a c-ares channel per name, never freed, grew with
 * every name a summary taught. `resolverFor` drops the names no longer wanted before it adds one,
 * so the map holds at most the names the directory knows (directory.ts bounds those,
 * MAX_LEARNED_REGIONS) and the configured ones. A name DNS does not know is looked up through
 * getaddrinfo too (/etc/hosts), but not one whose query went unanswered: one hung lookup per name
 * would hold libuv's 4 threads.
 */
export class RegionResolvers {
  private readonly byName = new Map<string, RegionPeerResolver>();
  private readonly shared = new RereadingResolver();

  constructor(
    /** The port of a name learned from summaries (SRV records, when there are, carry their own). */
    private readonly port: number,
    /** The names still wanted: the configured regions' and those the directory knows. */
    private readonly wanted: () => Iterable<string>,
  ) {}

  /** A configured region's name, with its own port (the config's `peerRegions`). */
  add(name: string, port: number): void {
    this.byName.set(name, new RegionPeerResolver(name, port, { dns: this.shared, lookUpUnanswered: false }));
  }

  resolverFor(name: string): RegionPeerResolver {
    let resolver = this.byName.get(name);
    if (resolver === undefined) {
      this.prune();
      resolver = new RegionPeerResolver(name, this.port, { dns: this.shared, lookUpUnanswered: false });
      this.byName.set(name, resolver);
    }
    return resolver;
  }

  get size(): number {
    return this.byName.size;
  }

  private prune(): void {
    const wanted = new Set(this.wanted());
    for (const name of this.byName.keys()) if (!wanted.has(name)) this.byName.delete(name);
  }
}
