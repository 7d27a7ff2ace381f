import { isIPv4 } from 'node:net';
import type { ResolveIPv4 } from './ipv4-lookup.js';
import { parseSeed, type SeedEndpoint } from './seed-endpoint.js';
import { ANSWER_MS, UNANSWERED_MS } from './dns-answer-ages.js';
import { cappedTargets } from './name-targets.js';

/** What resolving seeds uses: an IPv4-only resolver, the log's warn, and a monotonic clock for the cache. */
export interface SeedResolution {
  resolve: ResolveIPv4;
  warn: (msg: string, fields: Record<string, unknown>) => void;
  now?: () => number;
  /** How long a lookup may take before the seed counts as unanswered this time (default 5 s). */
  lookupTimeoutMs?: number;
}

/** getaddrinfo has no timeout of its own; a dead nameserver can take 10 to 30 s. */
const LOOKUP_TIMEOUT_MS = 5_000;

interface Known {
  at: number;
  keepMs: number;
  targets: string[];
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
  private readonly now: () => number;
  private readonly known = new Map<string, Known>();
  /**
   * The resolver's own lookup per seed, until it settles: one that outlived its timeout is not
   * started again meanwhile (getaddrinfo runs on one of libuv's four threads until it gives up,
   * 10 to 30 s with a dead nameserver, and a lookup per discovery round would fill them).
   */
  private readonly inFlight = new Map<string, Promise<string[]>>();
  /** Seeds (and why) already warned about; a seed that resolves again is forgotten, so a later loss is said again. */
  private readonly warned = new Set<string>();

  constructor(
    seeds: string[],
    private readonly using: SeedResolution,
  ) {
    // The config refused every seed parseSeed would not take (config.ts), so none is lost here.
    this.seeds = seeds.map(parseSeed).filter((seed): seed is SeedEndpoint => !('problem' in seed));
    // Monotonic: a wall clock stepped back an hour kept a 30 s answer for an hour (a moved seed ignored).
    this.now = using.now ?? (() => performance.now());
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
    const known = this.known.get(seed.written);
    if (known && this.now() - known.at < known.keepMs) return known.targets;
    // Callers in the same round share the resolver's lookup (lookupOf): no map of their own is needed.
    return this.lookUp(seed);
  }

  private async lookUp(seed: SeedEndpoint): Promise<string[]> {
    let timer: NodeJS.Timeout | undefined;
    const timeoutMs = this.using.lookupTimeoutMs ?? LOOKUP_TIMEOUT_MS;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs / 1000} s`)), timeoutMs);
    });
    try {
      return this.remember(seed, await Promise.race([this.lookupOf(seed), timeout]));
    } catch (error) {
      this.warnOnce(seed, 'unanswered', 'seed name could not be resolved: discovery skips it until the resolver answers', { error: (error as Error).message });
      return this.keep(seed, [], UNANSWERED_MS);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The resolver's lookup of the seed's name: the one still running, else a new one, whose answer is remembered even when it comes after its timeout. */
  private lookupOf(seed: SeedEndpoint): Promise<string[]> {
    let lookup = this.inFlight.get(seed.written);
    if (!lookup) {
      lookup = this.using.resolve(seed.host);
      this.inFlight.set(seed.written, lookup);
      lookup.then(
        (addresses) => {
          this.inFlight.delete(seed.written);
          this.remember(seed, addresses);
        },
        () => this.inFlight.delete(seed.written),
      );
    }
    return lookup;
  }

  /** An answer kept for 30 s: the targets, or none (said once) for a name without an IPv4 address. */
  private remember(seed: SeedEndpoint, addresses: string[]): string[] {
    if (addresses.length === 0) {
      this.warnOnce(seed, 'noIPv4', 'seed has no IPv4 address, and gridagent speaks IPv4 only: discovery skips it until it has one', { fix: "give the seed's IPv4 address, or an A record for the name" });
      return this.keep(seed, [], ANSWER_MS);
    }
    for (const why of ['unanswered', 'noIPv4']) this.warned.delete(`${seed.written}\0${why}`);
    return this.keep(
      seed,
      cappedTargets(addresses).map((address) => `${address}:${seed.port}`),
      ANSWER_MS,
    );
  }

  private keep(seed: SeedEndpoint, targets: string[], keepMs: number): string[] {
    this.known.set(seed.written, { at: this.now(), keepMs, targets });
    return targets;
  }

  private warnOnce(seed: SeedEndpoint, why: string, msg: string, fields: Record<string, unknown>): void {
    const key = `${seed.written}\0${why}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.using.warn(msg, { seed: seed.written, ...fields });
  }
}
