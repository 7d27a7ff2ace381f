/**
 * How long the overlay must stay converged, on the same peers, before a rolling batch counts as
 * healthy. Converged alone was reached 0.6 s after an agent restart, before the restarted mirror had
 * caught up; with batches that close, the next super peer's handover had no ready successor and its
 * sub-grid went 1.5 s without a super peer (e2e, after asking agents got faster). Here, with the
 * topology, because `rollout.healthTimeout` must leave a gate more than this (health-timeout-check).
 */
export const GATE_STABLE_MS = 3000;
