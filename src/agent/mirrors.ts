/**
 * The mirrors a super peer keeps when its config names none (runtime/config.ts). gridops writes
 * none, so a rolling apply counts a sub-grid's voters with it (phases/rollout-sizes.ts).
 */
export const DEFAULT_MIRRORS = 4;
