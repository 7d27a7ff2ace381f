import type { Rollout } from '../topology/model.js';

/** A host to change in a rolling apply, where it sits, and whether it is a super peer now. */
export interface RolloutHost {
  host: string;
  subgrid: string;
  superPeer: boolean;
}

/** How many hosts of `size` may be down at once: a count, or a percentage rounded down, at least 1. */
export function unavailableBudget(maxUnavailable: Rollout['maxUnavailable'], size: number): number {
  const n = 'count' in maxUnavailable ? maxUnavailable.count : Math.floor((size * maxUnavailable.percent) / 100);
  return Math.max(1, Math.min(size, n));
}

/**
 * The batches of a rolling apply (DESIGN, rolling upgrade): ordinary nodes first, super peers
 * last and in their own batches, so that a super peer restarts only once the rest of its
 * sub-grid runs the new version and can take its role over. A batch holds at most
 * `maxUnavailable` of the grid and, per sub-grid, `maxUnavailable` of the sub-grid, never its
 * last node still serving. Deterministic: hosts keep their given (topology) order.
 */
export function rolloutBatches(hosts: readonly RolloutHost[], rollout: Rollout, sizes: { grid: number; subgrids: ReadonlyMap<string, number> }): string[][] {
  const overall = unavailableBudget(rollout.maxUnavailable, sizes.grid);
  const perSubgrid = (subgrid: string) => {
    const size = sizes.subgrids.get(subgrid) ?? 1;
    return Math.max(1, Math.min(unavailableBudget(rollout.maxUnavailable, size), size - 1));
  };
  const batches: string[][] = [];
  for (const wave of [hosts.filter((h) => !h.superPeer), hosts.filter((h) => h.superPeer)]) {
    const left = [...wave];
    while (left.length) {
      const batch: RolloutHost[] = [];
      const taken = new Map<string, number>();
      for (const h of [...left]) {
        if (batch.length >= overall) break;
        if ((taken.get(h.subgrid) ?? 0) >= perSubgrid(h.subgrid)) continue;
        batch.push(h);
        taken.set(h.subgrid, (taken.get(h.subgrid) ?? 0) + 1);
        left.splice(left.indexOf(h), 1);
      }
      batches.push(batch.map((h) => h.host));
    }
  }
  return batches;
}
