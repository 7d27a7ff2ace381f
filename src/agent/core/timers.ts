/**
 * Protocol timers, in ticks. The runtime maps one tick to `tickMs` of wall time (100 ms by
 * default); the simulation maps it to simulated time. Defaults follow memberlist's LAN profile
 * (1 s probe interval, suspicion multiplier 4) and Raft's randomised election timeouts.
 */
export interface Timers {
  /** A member sends a heartbeat to its leader this often. */
  heartbeatInterval: number;
  /** The leader sends a sync (view, and registry when it changed) to each voter this often. */
  syncInterval: number;
  /** Full registry resent to voters at least this often, even when nothing changed. */
  registryRefreshInterval: number;
  /** Lower bound of the randomised election timeout; also the leader lease seen by voters. */
  electionTimeoutMin: number;
  /** Upper bound of the random part of the election timeout. */
  electionTimeoutMax: number;
  /** Extra election delay per rank, so that the best-scored voter usually stands first. */
  rankStep: number;
  /** A member that got no answer from its leader for this long searches again. */
  leaderLostTimeout: number;
  /** The leader suspects a member after this much silence. */
  suspectAfter: number;
  /** Suspicion multiplier (memberlist's SuspicionMult): suspect -> dead after mult * log10(n) heartbeats. */
  suspicionMultiplier: number;
  /** Dead entries stay visible (for /status) this long before removal. */
  removeAfter: number;
  /** First discovery retry delay; doubles per attempt, with jitter. */
  discoveryBase: number;
  /** Cap of the discovery backoff. */
  discoveryMax: number;
  /** Fresh nodes wait this long for an existing leader before bootstrapping the group. */
  bootstrapAfter: number;
  /**
   * A planned first election (bootstrapScore set) waits up to this long, from the start of the
   * search, for every expected node, as Consul's bootstrap_expect does: then the planned node,
   * which outranks them all, is among them even if its agent started last. Past it, a quorum will do.
   */
  bootstrapGrace: number;
  /**
   * A member that signed in after the first bootstrap becomes a voter only after being alive this
   * long without a break (Consul autopilot's ServerStabilizationTime, 10 s): a node that flaps
   * while it is being set up never enters the quorum.
   */
  stabilizationTime: number;
  /** How often the leader reconsiders mirrors and a handover to a much better node. */
  rebalanceInterval: number;
  /** A leadership transfer that did not complete in this time is abandoned. */
  transferTimeout: number;
  /**
   * Region tier only: a region peer pushes its summary to every other region's peer this
   * often. An entry is suspect after 2.5 intervals of silence and dropped after 4.
   */
  peerRegionInterval: number;
}

/**
 * Defaults for the sub-grid tier (1 tick = 100 ms). Sub-second failover (issue 14): the leader
 * syncs its voters every 200 ms, and a voter that heard nothing for 0.5 to 0.7 s stands (its lease,
 * 0.5 s, ends with it). The rank step (0.5 s) keeps the next-ranked voter's window clear of the
 * first one's even when the two count from syncs one interval apart (a leader killed between its
 * sends, or a sync lost) and tick a tick apart: step >= random part (0.2 s) + sync interval (0.2 s)
 * + 1 tick. With 0.3 s steps and a 0.2 s random part the lab saw both mirrors pre-vote in the
 * same instant and split the vote (1.39 s, 1 kill in 20). Local health (local-health.ts) widens all of these while a node
 * itself runs late, which is what keeps such short timeouts calm under CPU saturation.
 */
export const SUBGRID_TIMERS: Timers = {
  heartbeatInterval: 10,
  syncInterval: 2,
  registryRefreshInterval: 100,
  electionTimeoutMin: 5,
  electionTimeoutMax: 7,
  rankStep: 5,
  leaderLostTimeout: 30,
  suspectAfter: 30,
  suspicionMultiplier: 4,
  removeAfter: 100,
  // A restarted node's first discover usually goes out before its sub-grid has elected the
  // successor of the node it replaces (its restart takes about 0.3 s, the election 0.5 to 1 s):
  // the retries come 0.2, 0.4, 0.8, 1.6 and 3.2 s apart, then every 4 s, so it finds the new leader
  // well within the second; a search ends at the first answer, so this costs no steady traffic.
  discoveryBase: 2,
  discoveryMax: 40,
  bootstrapAfter: 15,
  bootstrapGrace: 100,
  stabilizationTime: 100,
  rebalanceInterval: 50,
  transferTimeout: 15,
  peerRegionInterval: 50,
};

/**
 * The region tier spans sites, so it runs at half the pace (a WAN profile), except its failure
 * detection: syncs every 300 ms and an election timeout of 0.8 to 1.1 s (rank steps of 0.4 s), so
 * that a region peer is replaced within 2 s (issue 14), a sub-grid election included.
 */
export const REGION_TIMERS: Timers = { ...scaleTimers(SUBGRID_TIMERS, 2), syncInterval: 3, electionTimeoutMin: 8, electionTimeoutMax: 11, rankStep: 4 };

/** Multiplies every timer by a factor (used for the region tier and for slow links). */
export function scaleTimers(timers: Timers, factor: number): Timers {
  const scaled = { ...timers };
  for (const key of Object.keys(scaled) as (keyof Timers)[]) {
    if (key === 'suspicionMultiplier') continue;
    scaled[key] = Math.max(1, Math.round(timers[key] * factor));
  }
  return scaled;
}

/**
 * How long a suspected member has to refute before it is declared dead, in ticks: memberlist's
 * rule, mult * max(1, log10(n)) probe intervals, so that larger groups (where a false alarm is
 * more likely somewhere) wait a little longer.
 */
export function suspicionTimeout(memberCount: number, heartbeatInterval: number, multiplier: number): number {
  const scale = Math.max(1, Math.log10(Math.max(1, memberCount)));
  return Math.ceil(multiplier * scale * heartbeatInterval);
}
