/**
 * Send targets one DNS name may give (a seed's name, the region peer's name and its SRV targets):
 * every discovery round sends a datagram to each, so a name answering 1000 addresses (a wildcard,
 * a zone edited by mistake, or by someone who wants the traffic) made every round send 1000. Eight,
 * as the SRV targets resolved per answer (region-resolver.ts): more than the seeds or region peers
 * a grid names, and the nameserver's own order (often rotated) picks which.
 */
export const MAX_TARGETS_PER_NAME = 8;

/** The first MAX_TARGETS_PER_NAME of a name's targets, in the order DNS gave them. */
export function cappedTargets(targets: string[]): string[] {
  return targets.length > MAX_TARGETS_PER_NAME ? targets.slice(0, MAX_TARGETS_PER_NAME) : targets;
}
