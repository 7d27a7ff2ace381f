import type { Rollout } from '../topology/model.js';
import type { InitialElection } from './initial-election.js';
import { rolloutBatches, type RolloutSizes, type SubgridVoters } from './rolling-batches.js';
import { peersUnderTopologyNames } from './peers-renamed.js';
import type { PeersNow } from './super-peers-now.js';
import { votersDown } from './voters-down.js';
import { subgridKey } from '../topology/subgrid-key.js';

/** A host with changes, placed in the topology. */
export interface BatchHost {
  host: string;
  region: string;
  subgrid: string;
}

/** Hosts applied together; with `gate`, the overlay must converge before the next batch starts. */
export interface Batch {
  hosts: string[];
  /** Why these hosts go together, for the progress line. */
  label: string;
  gate: boolean;
}

/**
 * How apply's one batch loop cuts the changed hosts into batches (DESIGN step 6). The loop asks
 * again, for the hosts not yet done, after every gate, passing the super and region peers the
 * agents name then (`peers`); a strategy that does not place super peers ignores them.
 */
export interface BatchStrategy {
  readonly name: string;
  batches(changed: readonly BatchHost[], peers?: PeersNow): Batch[];
}

/** Every changed host at once (bounded by --concurrency); no gate. */
export const allAtOnce: BatchStrategy = {
  name: 'all at once',
  batches: (changed) => (changed.length ? [{ hosts: changed.map((h) => h.host), label: 'every changed host', gate: false }] : []),
};

/**
 * DESIGN's overlay start order for fresh sub-grids: the planned first super peers' agents start
 * before the others, so they are there when the others come, however long those take to deploy.
 */
export function plannedSuperPeersFirst(election: InitialElection | undefined): BatchStrategy {
  const chosen = plannedInitialSuperPeers(election);
  return {
    name: 'planned super peers first',
    batches(changed) {
      const first = changed.filter((h) => chosen.has(h.host)).map((h) => h.host);
      const rest = changed.filter((h) => !chosen.has(h.host)).map((h) => h.host);
      if (!first.length || !rest.length) return allAtOnce.batches(changed);
      return [
        { hosts: first, label: 'the planned super peers', gate: false },
        { hosts: rest, label: 'the other hosts', gate: false },
      ];
    },
  };
}

/** The planned first super peers of the sub-grids where this run starts the first agents (the plan's initial election). */
function plannedInitialSuperPeers(election: InitialElection | undefined): Set<string> {
  return new Set((election?.subgrids ?? []).filter((s) => s.status === 'initial' && s.superPeer !== null).map((s) => s.superPeer!));
}

/**
 * A rolling apply (DESIGN, rolling upgrade): batches bounded by `rollout.maxUnavailable`, overall
 * and per sub-grid, and by each sub-grid's voter quorum, ordinary nodes first and the current
 * super peers last (one per region per batch, the region peer last in its region), each gated on
 * the overlay converging. `sizes` counts the whole grid, not just the changed hosts (its `voters`,
 * from the topology, stand for a sub-grid no reached agent listed the voters of); a voter this run
 * does not reach counts as down unless a reached registry hears it alive (voters-down). `asked`: the peers before
 * the first batch; after a gate the loop passes the ones the agents name then, as the voters change
 * (restarted mirrors back, autopilot promoting). `renamed`: the run's renames (old name -> new), for
 * the voters whose agents still run under their old name (peers-renamed). `election`: the plan's
 * initial election; the planned first super peer of a sub-grid the run starts fresh goes before
 * the other nodes of the first wave, as plannedSuperPeersFirst deploys it, so that it is there
 * when its sub-grid's first election ranks (a fresh agent waits 10 s for the rest, then stands).
 */
export function rolling(rollout: Rollout, sizes: RolloutSizes, asked: PeersNow, renamed: ReadonlyMap<string, string> = new Map(), election?: InitialElection): BatchStrategy {
  const planned = plannedInitialSuperPeers(election);
  return {
    name: 'rolling',
    batches(changed, reported = asked) {
      const peers = peersUnderTopologyNames(reported, renamed);
      const { superPeers, regionPeers } = peers;
      const named = peers.voters;
      // A node down counts as a voter down only if the agents list it among the voters; one outside the run, unless its super peer (or a mirror) hears it alive.
      const voters = new Map<string, SubgridVoters>(sizes.voters);
      for (const [subgrid, names] of named) voters.set(subgrid, { count: names.length, down: votersDown(subgrid, peers, sizes.downNodes ?? new Set()).length });
      const voter = (host: string, subgrid: string) => (named.has(subgrid) ? { voter: named.get(subgrid)!.includes(host) } : {});
      // rolloutBatches keeps the given order: the planned first super peers lead their fresh sub-grids.
      const ordered = [...changed.filter((h) => planned.has(h.host)), ...changed.filter((h) => !planned.has(h.host))];
      const hosts = ordered.map((h) => ({ host: h.host, region: h.region, subgrid: subgridKey(h), superPeer: superPeers.has(h.host), regionPeer: regionPeers.has(h.host), ...voter(h.host, subgridKey(h)) }));
      const batches = rolloutBatches(hosts, rollout, { ...sizes, voters });
      return batches.map((hosts) => ({ hosts, label: hosts.every((h) => superPeers.has(h)) ? 'super peers, which hand their role over' : 'nodes', gate: true }));
    },
  };
}

/** Any strategy, with the hosts whose gridops is removed taken out and applied in a last batch of their own (which the loop skips where a host before it failed). */
export function removalsLast(strategy: BatchStrategy, removing: ReadonlySet<string>): BatchStrategy {
  return {
    name: `${strategy.name}, removals last`,
    batches(changed, peers) {
      const removals = changed.filter((h) => removing.has(h.host)).map((h) => h.host);
      const rest = strategy.batches(changed.filter((h) => !removing.has(h.host)), peers);
      return removals.length ? [...rest, { hosts: removals, label: 'decommissioned nodes', gate: false }] : rest;
    },
  };
}

/** Any strategy, over the hosts of one new site only (`apply --site`): the rest of the grid is not touched. */
export function onlySite(strategy: BatchStrategy, site: ReadonlySet<string>): BatchStrategy {
  return { name: `${strategy.name}, the new site only`, batches: (changed, peers) => strategy.batches(changed.filter((h) => site.has(h.host)), peers) };
}
