/**
 * How long the agent keeps what a name resolved to, for the seeds' names (seed-resolver.ts) and
 * the region peer's (region-resolver.ts): one rule for both, so that neither retries a DNS that is
 * not up yet at boot more slowly than the other. KeptTargets (kept-targets.ts) applies it for both.
 */

/** An answer (addresses, or the resolver's word that the name has none): discovery's backoff must not become a DNS storm. */
export const ANSWER_MS = 30_000;

/**
 * A resolver that did not answer (timed out, refused, failed): DNS that is not up yet at boot is
 * asked again soon, where keeping the failure 30 s would hold the agent out of the grid that long.
 */
export const UNANSWERED_MS = 2_000;
