import type { Rollout } from '../topology/model.js';

/** A host to change in a rolling apply, where it sits, and whether it is a super peer (and its region's peer) now. */
export interface RolloutHost {
  host: string;
  region: string;
  subgrid: string;
  superPeer: boolean;
  regionPeer?: boolean;
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
 * last node still serving. Super peers go one per region per batch, the region peer after the
 * others of its region: the super peers of a region elect its region peer, so restarting several
 * at once can leave the region without one, and a region peer restarted first would see its role
 * move again with each later super peer. Deterministic: hosts keep their given (topology) order.
 */
export function rolloutBatches(hosts: readonly RolloutHost[], rollout: Rollout, sizes: { grid: number; subgrids: ReadonlyMap<string, number> }): string[][] {
  const overall = unavailableBudget(rollout.maxUnavailable, sizes.grid);
  const perSubgrid = (subgrid: string) => {
    const size = sizes.subgrids.get(subgrid) ?? 1;
    return Math.max(1, Math.min(unavailableBudget(rollout.maxUnavailable, size), size - 1));
  };
  const superPeers = hosts.filter((h) => h.superPeer);
  const batches: string[][] = [];
  for (const wave of [hosts.filter((h) => !h.superPeer), [...superPeers.filter((h) => !h.regionPeer), ...superPeers.filter((h) => h.regionPeer)]]) {
    const left = [...wave];
    while (left.length) {
      const batch: RolloutHost[] = [];
      const taken = new Map<string, number>();
      const regions = new Set<string>();
      for (const h of [...left]) {
        if (batch.length >= overall) break;
        if ((taken.get(h.subgrid) ?? 0) >= perSubgrid(h.subgrid)) continue;
        if (h.superPeer && regions.has(h.region)) continue;
        batch.push(h);
        taken.set(h.subgrid, (taken.get(h.subgrid) ?? 0) + 1);
        regions.add(h.region);
        left.splice(left.indexOf(h), 1);
      }
      batches.push(batch.map((h) => h.host));
    }
  }
  return batches;
}
