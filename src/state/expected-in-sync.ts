import { newerThanThisGridops } from '../version-order.js';
import { GRIDOPS_VERSION } from '../version.js';
import type { GridState, HostState } from './state.js';

/**
 * Whether a host's record says it is in sync with a topology (its source hash), the host's
 * playbooks and this gridops, and if not, the first reason why, most telling first:
 * - `newer-gridops`: last run (applied, failed or skipped) by a newer gridops (newerThanThisGridops of its gridopsVersion),
 *   whose record this one cannot judge and only a gridops that new should replace: this one refuses
 *   to plan or apply over it (phases/newer-gridops-state.ts), since it would deploy its older agent
 *   over the newer one. Said of a newer gridops' failed first run too, which recorded no success;
 * - `never`: no successful apply recorded (no record, or only failed or skipped runs);
 * - `failed`: the last run failed there (the record keeps the last success's topology);
 * - `skipped`: the last run stopped before it reached the host, with changes planned for it;
 * - `handlers-owed`: handlers an interrupted or failed run owes (HostState.pendingHandlers), which the next apply runs;
 * - `older-topology`: last applied with another version of the topology file;
 * - `other-playbooks`: last applied with other playbooks (ad-hoc `--playbook` work);
 * - `older-gridops`: last applied by an older gridops, whose playbooks or agent may differ (or by one
 *   whose version cannot be ordered against this one's: compareVersions), which an apply with this one fixes;
 * - `in-sync`: none of these.
 * The one definition: apply expects an in-sync host to have nothing to change (expectedInSync),
 * and `status` (--strict) calls only an in-sync node as the topology says.
 */
export type SyncState = 'newer-gridops' | 'never' | 'failed' | 'skipped' | 'handlers-owed' | 'older-topology' | 'other-playbooks' | 'older-gridops' | 'in-sync';

/** `record`'s SyncState against the topology's `sourceHash` and the host's `playbooks`, in order. */
export function syncState(record: HostState | undefined, sourceHash: string, playbooks: readonly string[]): SyncState {
  // Every later reason, `never` included, advises a plan or an apply with this gridops, which it
  // refuses over a newer one's record whatever else changed since: what the newer one's topology,
  // playbooks, handlers or failed first run mean is for it to judge.
  if (record && newerThanThisGridops(record.gridopsVersion)) return 'newer-gridops';
  if (!record?.appliedAt) return 'never';
  if (record.lastOutcome === 'failed') return 'failed';
  // A skipped host was reached by no change of a run that planned some: short of that run's plan,
  // whatever its record says of the topology and playbooks it last had.
  if (record.lastOutcome === 'skipped') return 'skipped';
  // Owed handlers survive a run of other playbooks and a topology edit alike, and nothing else
  // shows them: said before what the user changed.
  if (record.pendingHandlers?.length) return 'handlers-owed';
  if (record.topologyHash !== sourceHash) return 'older-topology';
  if (record.playbooks.length !== playbooks.length || record.playbooks.some((p, i) => p !== playbooks[i])) return 'other-playbooks';
  // Same topology, an older gridops (or one that cannot be ordered: a newer one returned above): its
  // playbooks or the agent it deploys may differ, so the next apply may change the host (Terraform
  // calls a provider upgrade a change too), and this gridops' apply brings it up to date.
  if (record.gridopsVersion !== GRIDOPS_VERSION) return 'older-gridops';
  return 'in-sync';
}

/**
 * Whether the state says `host` is in sync (syncState) with this topology (its source hash), these
 * playbooks and this gridops: an apply then expects to find it with nothing to change, and reads
 * it without a shell (engine/read-without-shell.ts) rather than holding a shell for a batch it
 * will likely not run. A guess for speed only: a host found changed all the same runs its batch in
 * a held shell of its own (engine/batch-session.ts).
 */
export function expectedInSync(state: GridState, host: string, sourceHash: string, playbooks: readonly string[]): boolean {
  return syncState(state.hosts[host], sourceHash, playbooks) === 'in-sync';
}
