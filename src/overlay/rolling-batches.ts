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

/** How many of the grid's and each sub-grid's nodes there are, and how many of a sub-grid's are down before the run starts. */
export interface RolloutSizes {
  grid: number;
  subgrids: ReadonlyMap<string, number>;
  down?: ReadonlyMap<string, number>;
}

/**
 * How many of a sub-grid's `size` nodes a rolling batch may restart when `down` of them are
 * already down (unreachable): `maxUnavailable` of the sub-grid, never its last node serving, and
 * the nodes already down count against both, as Kubernetes counts pods already unavailable. 0
 * means no restart keeps it serving (the run refuses). A sub-grid of one node can only restart it
 * (1; the run warns that it is without a super peer meanwhile).
 */
export function subgridBudget(maxUnavailable: Rollout['maxUnavailable'], size: number, down = 0): number {
  if (size <= 1) return 1;
  return Math.max(0, Math.min(unavailableBudget(maxUnavailable, size), size - 1) - down);
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
export function rolloutBatches(hosts: readonly RolloutHost[], rollout: Rollout, sizes: RolloutSizes): string[][] {
  const overall = unavailableBudget(rollout.maxUnavailable, sizes.grid);
  const perSubgrid = (subgrid: string) => subgridBudget(rollout.maxUnavailable, sizes.subgrids.get(subgrid) ?? 1, sizes.down?.get(subgrid) ?? 0);
  // A sub-grid with no budget would never get a batch: the run refuses it before any change (check-rolling-budget).
  const blocked = [...new Set(hosts.map((h) => h.subgrid))].filter((sg) => perSubgrid(sg) === 0);
  if (blocked.length) throw new Error(`${blocked.join(', ')}: no node may restart with ${sizes.down?.get(blocked[0]!) ?? 0} already down`);
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
