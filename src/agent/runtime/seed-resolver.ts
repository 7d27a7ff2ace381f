import { isIPv4 } from 'node:net';
import type { ResolveIPv4 } from './ipv4-lookup.js';
import { parseSeed, type SeedEndpoint } from './seed-endpoint.js';

/** What resolving seeds uses: an IPv4-only resolver, the log's warn, and a clock for the cache. */
export interface SeedResolution {
  resolve: ResolveIPv4;
  warn: (msg: string, fields: Record<string, unknown>) => void;
  now?: () => number;
}

/** How long answers are kept, as the region peer's name (region-resolver.ts). */
const CACHE_MS = 30_000;

/**
 * The config's seeds as IPv4 HOST:PORT targets. A seed that is a DNS name is resolved for IPv4
 * only (the sockets are udp4); one with no IPv4 address, or whose resolver does not answer, is
 * skipped, and said once in the log as a warning rather than dropped in silence at every
 * discovery round. Answers are kept 30 s so that discovery backoff does not turn into a DNS storm.
 */
export class SeedResolver {
  private readonly seeds: SeedEndpoint[];
  private readonly now: () => number;
  private cache: { at: number; targets: string[] } | null = null;
  private pending: Promise<string[]> | null = null;
  /** Seeds (and why) already warned about; a seed that resolves again is forgotten, so a later loss is said again. */
  private readonly warned = new Set<string>();

  constructor(
    seeds: string[],
    private readonly using: SeedResolution,
  ) {
    // The config refused every seed parseSeed would not take (config.ts), so none is lost here.
    this.seeds = seeds.map(parseSeed).filter((seed): seed is SeedEndpoint => !('problem' in seed));
    this.now = using.now ?? (() => Date.now());
  }

  async resolve(): Promise<string[]> {
    if (this.cache && this.now() - this.cache.at < CACHE_MS) return this.cache.targets;
    this.pending ??= Promise.all(this.seeds.map((seed) => this.targetsOf(seed))).then((lists) => {
      this.cache = { at: this.now(), targets: lists.flat() };
      this.pending = null;
      return this.cache.targets;
    });
    return this.pending;
  }

  private async targetsOf(seed: SeedEndpoint): Promise<string[]> {
    if (isIPv4(seed.host)) return [`${seed.host}:${seed.port}`];
    let addresses: string[];
    try {
      addresses = await this.using.resolve(seed.host);
    } catch (error) {
      this.warnOnce(seed, 'unanswered', 'seed name could not be resolved: discovery skips it until the resolver answers', { error: (error as Error).message });
      return [];
    }
    if (addresses.length === 0) {
      this.warnOnce(seed, 'noIPv4', 'seed has no IPv4 address, and gridagent speaks IPv4 only: discovery skips it until it has one', { fix: "give the seed's IPv4 address, or an A record for the name" });
      return [];
    }
    for (const why of ['unanswered', 'noIPv4']) this.warned.delete(`${seed.written}\0${why}`);
    return addresses.map((address) => `${address}:${seed.port}`);
  }

  private warnOnce(seed: SeedEndpoint, why: string, msg: string, fields: Record<string, unknown>): void {
    const key = `${seed.written}\0${why}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.using.warn(msg, { seed: seed.written, ...fields });
  }
}
