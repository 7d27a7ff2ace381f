import type { MemberRecord } from './registry.js';

const LIVENESS_RANK = { alive: 0, suspect: 1, dead: 2 } as const;

/**
 * The region registry's entry for each sub-grid's current super peer, in name order of the entries.
 *
 * The region registry is keyed by node name, so a super peer that crashed keeps its entry (suspect,
 * then dead) for its suspicion time after its successor joined the region under another name: two
 * entries name one sub-grid for up to ~14 s. Taking the first by name sent every node that found its
 * sub-grid through seeds or the region DNS name to the dead one, and counted the sub-grid twice. Per
 * sub-grid the live entry wins over a suspect one, a suspect over a dead one, and among equals the one
 * heard last (a successor heartbeats, its crashed predecessor does not). Entries without a sub-grid
 * summary name no sub-grid and are left out.
 *
 * The sub-grid term (summary.term) ranks first among entries that are not dead: a new region leader
 * restarts every liveness clock (registry.ts, restartClocks), and its copy of the registry has no
 * one's last word, so a crashed super peer still suspect came back alive and as recent as its
 * successor, and name order chose. A dead entry still loses to a live one whatever its term: a
 * super peer re-elected after its successor died keeps the term of its older join until it joins again.
 */
export function subgridHolders(entries: readonly MemberRecord[]): MemberRecord[] {
  const holders = new Map<string, MemberRecord>();
  for (const entry of entries) {
    if (entry.summary === undefined) continue;
    const current = holders.get(entry.summary.subgrid);
    if (current === undefined || holdsRatherThan(entry, current)) holders.set(entry.summary.subgrid, entry);
  }
  return entries.filter((entry) => entry.summary !== undefined && holders.get(entry.summary.subgrid) === entry);
}

/** Whether `entry` rather than `current` (of the same sub-grid) is the one to name as its super peer. */
export function holdsRatherThan(entry: MemberRecord, current: MemberRecord): boolean {
  const deadFirst = Number(entry.liveness === 'dead') - Number(current.liveness === 'dead');
  if (deadFirst !== 0) return deadFirst < 0;
  const byTerm = (entry.summary?.term ?? 0) - (current.summary?.term ?? 0);
  if (byTerm !== 0) return byTerm > 0;
  const byLiveness = LIVENESS_RANK[entry.liveness] - LIVENESS_RANK[current.liveness];
  if (byLiveness !== 0) return byLiveness < 0;
  return entry.lastHeard > current.lastHeard;
}
