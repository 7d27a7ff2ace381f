import { isIPv4 } from 'node:net';
import type { ResolveIPv4 } from './ipv4-lookup.js';
import { KeptTargets } from './kept-targets.js';
import { NameLookup } from './name-lookup.js';
import { cappedTargets } from './name-targets.js';
import { parseSeed, type SeedEndpoint } from './seed-endpoint.js';

/** What resolving seeds uses: an IPv4-only resolver, the log's warn, and a monotonic clock for the cache. */
export interface SeedResolution {
  resolve: ResolveIPv4;
  warn: (msg: string, fields: Record<string, unknown>) => void;
  now?: () => number;
  /** How long a lookup may take before the seed counts as unanswered this time (default 5 s). */
  lookupTimeoutMs?: number;
}

/** A DNS seed's lookup, and the targets its last answer gave. */
interface SeedName {
  lookup: NameLookup;
  kept: KeptTargets;
}

/**
 * The config's seeds as IPv4 HOST:PORT targets. An IPv4 seed is its own target, at once. A seed
 * that is a DNS name is resolved for IPv4 only (the sockets are udp4), each on its own, so one
 * slow name holds up no other seed; one with no IPv4 address, or whose resolver does not answer in
 * time, is skipped and said once in the log as a warning rather than dropped in silence at every
 * discovery round. Answers are kept 30 s so that discovery backoff does not turn into a DNS storm;
 * an unanswered lookup is tried again after 2 s.
 */
export class SeedResolver {
  private readonly seeds: SeedEndpoint[];
  /** Each DNS seed's lookup and kept answer, by the seed as written: a seed written twice shares them. */
  private readonly names = new Map<string, SeedName>();
  /** Seeds (and why) already warned about; a seed that resolves again is forgotten, so a later loss is said again. */
  private readonly warned = new Set<string>();

  constructor(
    seeds: string[],
    private readonly using: SeedResolution,
  ) {
    // The config refused every seed parseSeed would not take (config.ts), so none is lost here.
    this.seeds = seeds.map(parseSeed).filter((seed): seed is SeedEndpoint => !('problem' in seed));
    for (const seed of this.seeds) {
      if (isIPv4(seed.host) || this.names.has(seed.written)) continue;
      const kept = new KeptTargets(using.now);
      // An answer that comes after its timeout is kept too, for the rounds after it.
      const lookup = new NameLookup(seed.host, { resolve: using.resolve, timeoutMs: using.lookupTimeoutMs, onAnswer: (addresses) => this.remember(seed, kept, addresses) });
      this.names.set(seed.written, { lookup, kept });
    }
  }

  /** Calls `send` with each seed's targets (and the seed as written) as soon as that seed's are known: an IPv4 seed's at once. */
  each(send: (target: string, written: string) => void): void {
    for (const seed of this.seeds) {
      const targets = this.targetsOf(seed);
      if (Array.isArray(targets)) for (const target of targets) send(target, seed.written);
      else void targets.then((list) => list.forEach((target) => send(target, seed.written)));
    }
  }

  /** Every seed's targets, in the config's order (each DNS seed once its lookup ended or timed out). */
  async resolve(): Promise<string[]> {
    return (await Promise.all(this.seeds.map((seed) => this.targetsOf(seed)))).flat();
  }

  private targetsOf(seed: SeedEndpoint): string[] | Promise<string[]> {
    if (isIPv4(seed.host)) return [`${seed.host}:${seed.port}`];
    const name = this.names.get(seed.written)!;
    // Callers in the same round share the name's lookup (NameLookup): no map of their own is needed.
    return name.kept.current() ?? this.lookUp(seed, name);
  }

  private async lookUp(seed: SeedEndpoint, { lookup, kept }: SeedName): Promise<string[]> {
    const outcome = await lookup.lookUp();
    if ('unanswered' in outcome) {
      this.warnOnce(seed, 'unanswered', 'seed name could not be resolved: discovery skips it until the resolver answers', { error: outcome.unanswered });
      return kept.keep([], true);
    }
    return this.remember(seed, kept, outcome.addresses);
  }

  /** An answer kept for 30 s: the targets, or none (said once) for a name without an IPv4 address. */
  private remember(seed: SeedEndpoint, kept: KeptTargets, addresses: string[]): string[] {
    if (addresses.length === 0) {
      this.warnOnce(seed, 'noIPv4', 'seed has no IPv4 address, and gridagent speaks IPv4 only: discovery skips it until it has one', { fix: "give the seed's IPv4 address, or an A record for the name" });
      return kept.keep([], false);
    }
    for (const why of ['unanswered', 'noIPv4']) this.warned.delete(`${seed.written}\0${why}`);
    return kept.keep(
      cappedTargets(addresses).map((address) => `${address}:${seed.port}`),
      false,
    );
  }

  private warnOnce(seed: SeedEndpoint, why: string, msg: string, fields: Record<string, unknown>): void {
    const key = `${seed.written}\0${why}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.using.warn(msg, { seed: seed.written, ...fields });
  }
}
