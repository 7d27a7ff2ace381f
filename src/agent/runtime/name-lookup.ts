import type { ResolveIPv4 } from './ipv4-lookup.js';

/** getaddrinfo has no timeout of its own; a dead nameserver can take 10 to 30 s, or hang. Every name lookup of the agent's waits this long. */
export const LOOKUP_TIMEOUT_MS = 5_000;

/**
 * What a getaddrinfo lookup gave in time: the name's IPv4 addresses (none where it has none: the
 * resolver answered), or why the resolver did not answer (it threw, or not in time), which is worth
 * asking again soon.
 */
export type LookupOutcome = { addresses: string[] } | { unanswered: string };

/** A lookup waited for at most `timeoutMs`; it goes on after that (getaddrinfo cannot be cancelled), unwaited for. */
export async function lookupWithinTimeout(lookup: Promise<string[]>, timeoutMs = LOOKUP_TIMEOUT_MS): Promise<LookupOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<LookupOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ unanswered: `no answer in ${timeoutMs / 1000} s` }), timeoutMs);
  });
  try {
    return await Promise.race([lookup.then((addresses) => ({ addresses })), timeout]);
  } catch (error) {
    // A ResolveIPv4 throws only when the resolver did not answer (a name without an address is an empty list).
    return { unanswered: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/** What a NameLookup uses: the IPv4-only resolver, how long a lookup is waited for, and who hears every answer. */
export interface NameLookupUsing {
  resolve: ResolveIPv4;
  /** Default 5 s. */
  timeoutMs?: number;
  /** Called with every answer, one that came after its timeout too (the seeds keep it for their next round). */
  onAnswer?: (addresses: string[]) => void;
}

/**
 * One DNS name's getaddrinfo lookup, as the seeds' names and the region peer's name are looked up
 * (seed-resolver.ts, region-resolver.ts): each wait bounded (lookupWithinTimeout), and at most one
 * lookup of the name under way. One that outlived its timeout is not started again meanwhile: it
 * holds one of libuv's four threads until it gives up, 10 to 30 s with a dead nameserver, and a
 * lookup per discovery round would fill them; callers meanwhile wait on it again. Nothing is kept
 * once it settles: how long an answer is used is the caller's (kept-targets.ts).
 */
export class NameLookup {
  private underWay: Promise<string[]> | null = null;

  constructor(
    readonly name: string,
    private readonly using: NameLookupUsing,
  ) {}

  lookUp(): Promise<LookupOutcome> {
    return lookupWithinTimeout(this.started(), this.using.timeoutMs);
  }

  /** The lookup still under way, else a new one. */
  private started(): Promise<string[]> {
    if (this.underWay === null) {
      const lookup = this.using.resolve(this.name);
      this.underWay = lookup;
      // Attached before any caller waits on it, so the lookup has ended (and its answer is heard) by the time a caller resumes.
      lookup.then(
        (addresses) => {
          this.underWay = null;
          this.using.onAnswer?.(addresses);
        },
        () => (this.underWay = null),
      );
    }
    return this.underWay;
  }
}
