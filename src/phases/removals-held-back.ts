import type { HostOutcome } from '../engine/applier.js';
import type { Batch } from '../overlay/batch-strategy.js';

/**
 * The hosts whose failure holds back a batch of nodes to decommission (none: it may start). A
 * dropped node is removed last, once the rest of the grid is in place (README, Decommission); a
 * plain apply goes on past a failed host, and removing the node then may take a sub-grid's last
 * running agent (the node replacing it failed its first apply), its sandbox VM destroyed with the
 * users' work in it, where no rerun could bring it back. Held back, the node keeps its record, and
 * the run after the fix removes it. A node of the topology not reached whose first apply never ran
 * (the state records no agent of it) holds them back too, as if it had failed (a node unreachable
 * that is itself being removed does not: it is not part of the grid to put in place).
 * `earlier`: the outcomes of the batches done; `unreachable`: such nodes the run could not connect to.
 */
export function removalsHeldBackBy(batch: Batch, removing: ReadonlySet<string>, earlier: readonly HostOutcome[], unreachable: readonly string[] = []): HeldBackBy[] {
  if (!batch.hosts.every((host) => removing.has(host))) return [];
  return [
    ...earlier.filter((o) => o.status === 'failed').map((o) => ({ host: o.host, why: 'failed' as const })),
    ...unreachable.filter((host) => !removing.has(host)).map((host) => ({ host, why: 'unreachable' as const })),
  ];
}

/** A host that did not apply, which holds the decommissions back, and why. */
export interface HeldBackBy {
  host: string;
  why: 'failed' | 'unreachable';
}

/** "n2 failed", "n2, n3 failed, n4 unreachable": the hosts that hold the decommissions back. */
export function heldBackReason(by: readonly HeldBackBy[]): string {
  const of = (why: HeldBackBy['why']) => by.filter((b) => b.why === why).map((b) => b.host);
  return (['failed', 'unreachable'] as const)
    .filter((why) => of(why).length > 0)
    .map((why) => `${of(why).join(', ')} ${why}`)
    .join(', ');
}

/** What the run says of the nodes it did not decommission, and what to do next. */
export function removalsHeldBackMessage(held: readonly string[], by: readonly HeldBackBy[]): string {
  const hosts = by.map((b) => b.host).join(', ');
  return `${held.join(', ')} not decommissioned: ${heldBackReason(by)}, and a dropped node is removed only once the rest of the grid is in place (it stays in the state); fix ${hosts}, then run apply again to remove ${held.join(', ')}`;
}
