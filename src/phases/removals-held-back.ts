import type { HostOutcome } from '../engine/applier.js';
import type { Batch } from '../overlay/batch-strategy.js';

/**
 * The hosts whose failure holds back a batch of nodes to decommission (none: it may start). A
 * dropped node is removed last, once the rest of the grid is in place (README, Decommission); a
 * plain apply goes on past a failed host, and removing the node then may take a sub-grid's last
 * running agent (the node replacing it failed its first apply), its sandbox VM destroyed with the
 * users' work in it, where no rerun could bring it back. Held back, the node keeps its record, and
 * the run after the fix removes it. `earlier`: the outcomes of the batches done.
 */
export function removalsHeldBackBy(batch: Batch, removing: ReadonlySet<string>, earlier: readonly HostOutcome[]): string[] {
  if (!batch.hosts.every((host) => removing.has(host))) return [];
  return earlier.filter((o) => o.status === 'failed').map((o) => o.host);
}

/** What the run says of the nodes it did not decommission, and what to do next. */
export function removalsHeldBackMessage(held: readonly string[], failed: readonly string[]): string {
  return `${held.join(', ')} not decommissioned: ${failed.join(', ')} failed, and a dropped node is removed only once the rest of the grid is in place (it stays in the state); fix ${failed.join(', ')}, then run apply again to remove ${held.join(', ')}`;
}
