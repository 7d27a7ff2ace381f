import type { Rollout } from '../topology/model.js';

/** A host to change in a rolling apply, where it sits, and whether it is a super peer (and its region's peer) now. */
export interface RolloutHost {
  host: string;
  region: string;
  subgrid: string;
  superPeer: boolean;
  regionPeer?: boolean;
  /** Whether it is one of its sub-grid's voters now (its super peer or a mirror); unknown counts as a voter. */
  voter?: boolean;
}

/** How many hosts of `size` may be down at once: a count, or a percentage rounded down, at least 1. */
export function unavailableBudget(maxUnavailable: Rollout['maxUnavailable'], size: number): number {
  const n = 'count' in maxUnavailable ? maxUnavailable.count : Math.floor((size * maxUnavailable.percent) / 100);
  return Math.max(1, Math.min(size, n));
}

/** How many voters a sub-grid has (its super peer and mirrors), and how many of them are down. */
export interface SubgridVoters {
  count: number;
  down: number;
}

/**
 * How many of the grid's and each sub-grid's nodes there are, how many of a sub-grid's are down
 * before the run starts (and which: `downNodes`), and a sub-grid's voters; a sub-grid without an
 * entry in `voters` counts every node as a voter, and every node down as a voter down.
 */
export interface RolloutSizes {
  grid: number;
  subgrids: ReadonlyMap<string, number>;
  down?: ReadonlyMap<string, number>;
  downNodes?: ReadonlySet<string>;
  voters?: ReadonlyMap<string, SubgridVoters>;
}

/**
 * How many of a sub-grid's voters may restart at once and leave its super peer a quorum
 * (floor(v/2)+1 of v) to hear, minus the voters already down: a super peer that cannot hear a
 * quorum steps down (CheckQuorum, within about 0.7 s). 0 for 2 voters, or 3 with one down.
 */
export function voterBudget(voters: SubgridVoters): number {
  const quorum = Math.floor(voters.count / 2) + 1;
  return Math.max(0, voters.count - quorum - voters.down);
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
 * last node still serving, and no more of its voters than its super peer's quorum spares
 * (voterBudget); members that do not vote count against the node budget only. Where no voter may
 * restart and keep the quorum (2 voters, or voters already down), each voter restarts alone in a
 * batch of its own: its super peer steps down until it is back (the run warns, check-rolling-budget),
 * and alone that is one sub-grid at a time, not several super peers of a region at once. Super
 * peers go one per region per batch, the region peer after the others of its region: the super
 * peers of a region elect its region peer, so restarting several at once can leave the region
 * without one, and a region peer restarted first would see its role move again with each later
 * super peer. Deterministic: hosts keep their given (topology) order.
 */
export function rolloutBatches(hosts: readonly RolloutHost[], rollout: Rollout, sizes: RolloutSizes): string[][] {
  const overall = unavailableBudget(rollout.maxUnavailable, sizes.grid);
  const perSubgrid = (subgrid: string) => subgridBudget(rollout.maxUnavailable, sizes.subgrids.get(subgrid) ?? 1, sizes.down?.get(subgrid) ?? 0);
  // A sub-grid with no budget would never get a batch: the run refuses it before any change (check-rolling-budget).
  const voters = (subgrid: string): SubgridVoters => sizes.voters?.get(subgrid) ?? { count: sizes.subgrids.get(subgrid) ?? 1, down: sizes.down?.get(subgrid) ?? 0 };
  // A sub-grid of one voter has no quorum to keep: its only voter restarts (the run warns), as the node budget allows.
  const votersPerSubgrid = (subgrid: string) => (voters(subgrid).count <= 1 ? Infinity : voterBudget(voters(subgrid)));
  const restartsAlone = (h: RolloutHost) => h.voter !== false && votersPerSubgrid(h.subgrid) === 0;
  const blocked = [...new Set(hosts.map((h) => h.subgrid))].filter((sg) => perSubgrid(sg) === 0);
  if (blocked.length) throw new Error(`no node may restart in ${blocked.map((sg) => `${sg} (${sizes.down?.get(sg) ?? 0} already down)`).join(' nor in ')}`);
  const superPeers = hosts.filter((h) => h.superPeer);
  const batches: string[][] = [];
  for (const wave of [hosts.filter((h) => !h.superPeer), [...superPeers.filter((h) => !h.regionPeer), ...superPeers.filter((h) => h.regionPeer)]]) {
    const left = [...wave];
    while (left.length) {
      const batch: RolloutHost[] = [];
      const taken = new Map<string, number>();
      const votersTaken = new Map<string, number>();
      const regions = new Set<string>();
      for (const h of [...left]) {
        if (batch.length >= overall) break;
        if ((taken.get(h.subgrid) ?? 0) >= perSubgrid(h.subgrid)) continue;
        if (h.superPeer && regions.has(h.region)) continue;
        const alone = restartsAlone(h);
        if (alone && batch.length > 0) {
          // It goes in a later batch, alone: hold its region here, or a later super peer of the region (its region peer last) would restart first.
          if (h.superPeer) regions.add(h.region);
          continue;
        }
        if (!alone && h.voter !== false && (votersTaken.get(h.subgrid) ?? 0) >= votersPerSubgrid(h.subgrid)) continue;
        batch.push(h);
        taken.set(h.subgrid, (taken.get(h.subgrid) ?? 0) + 1);
        if (h.voter !== false) votersTaken.set(h.subgrid, (votersTaken.get(h.subgrid) ?? 0) + 1);
        regions.add(h.region);
        left.splice(left.indexOf(h), 1);
        if (alone) break;
      }
      // Every budget above is at least 1 and a voter with none goes alone, so a batch is never empty: guard the loop anyway.
      if (!batch.length) throw new Error(`no rolling batch fits ${left.map((h) => h.host).join(', ')}`);
      batches.push(batch.map((h) => h.host));
    }
  }
  return batches;
}
