import { Resolver } from 'node:dns/promises';

/** A c-ares resolver as the agent uses it: 2 s per try, 2 tries. */
export function newResolver(): Resolver {
  return new Resolver({ timeout: 2000, tries: 2 });
}

/**
 * Resolves the region peer's DNS name through Node's resolver: SRV `_gridagent._udp.NAME`
 * first (it carries ports), then A records with the configured port. Answers are cached for
 * 30 s so that discovery backoff does not turn into a DNS storm.
 */
export class RegionPeerResolver {
  private cache: { at: number; targets: string[] } | null = null;
  constructor(
    private readonly name: string | null,
    private readonly defaultPort: number,
    /** Shared by the resolvers of other regions' names (daemon.ts): one c-ares channel, not one per name. */
    private readonly resolver: Resolver = newResolver(),
  ) {}

  async resolve(): Promise<string[]> {
    if (this.name === null) return [];
    if (this.cache && Date.now() - this.cache.at < 30_000) return this.cache.targets;
    let targets: string[] = [];
    try {
      const records = await this.resolver.resolveSrv(`_gridagent._udp.${this.name}`);
      targets = records.map((record) => `${record.name}:${record.port}`);
    } catch {
      // No SRV record: fall back to A records.
    }
    if (targets.length === 0) {
      try {
        targets = (await this.resolver.resolve4(this.name)).map((address) => `${address}:${this.defaultPort}`);
      } catch {
        targets = [];
      }
    }
    this.cache = { at: Date.now(), targets };
    return targets;
  }
}
