/**
 * Damping of rebalances towards a former leader that lost the role (BGP's route flap damping, in
 * its simplest form). A better-scored node whose network flaps loses the role at each cut, and a
 * rebalance hands it back as soon as it answers again: cut off 1.2 s of every 7.2 s, a preferred
 * super peer changed hands 20 times in 10 cycles. So a leader that replaced a lost leader (by an
 * election, not a transfer) hands the role back to it only once it has answered without a break
 * for a hold-down: one rebalance interval after its first loss (a node back after one outage is
 * still handed the role within two intervals), doubling with each further loss up to a cap. A node
 * that flaps never stays up that long, and keeps its hold-down until its last loss is long past.
 *
 * Each leader keeps its own record, of the losses it saw itself: a later successor of the same
 * node starts counting again. In memory only: a restart forgets it.
 */
export interface HandBackHoldDownSettings {
  /** The hold-down after a first loss, in ticks. */
  first: number;
  /** Its ceiling, in ticks. */
  cap: number;
  /** A loss this long after the previous one counts as a first loss again, in ticks. */
  forgetAfter: number;
}

/** For a rebalance interval: one interval, doubling to 24 (2 min in a sub-grid), forgotten after 120 (10 min). */
export function handBackHoldDownFor(rebalanceInterval: number): HandBackHoldDownSettings {
  return { first: rebalanceInterval, cap: 24 * rebalanceInterval, forgetAfter: 120 * rebalanceInterval };
}

interface LossRecord {
  losses: number;
  lastLossAt: number;
}

export class HandBackHoldDown {
  private readonly records = new Map<string, LossRecord>();

  constructor(private readonly settings: () => HandBackHoldDownSettings) {}

  /** This node won an election (not a transfer) that replaced `name`, the leader it followed. */
  lostRole(name: string, now: number): void {
    const { forgetAfter } = this.settings();
    // Only recent losers are kept: the record stays as small as the set of flapping leaders.
    for (const [other, record] of this.records) if (now - record.lastLossAt >= forgetAfter) this.records.delete(other);
    const losses = (this.records.get(name)?.losses ?? 0) + 1;
    this.records.set(name, { losses, lastLossAt: now });
  }

  /** The hold-down `name` serves before it may be handed the role back (0 when it never lost it here). */
  holdDown(name: string, now: number): number {
    const record = this.records.get(name);
    const { first, cap, forgetAfter } = this.settings();
    if (record === undefined || now - record.lastLossAt >= forgetAfter) return 0;
    return Math.min(cap, first * 2 ** (record.losses - 1));
  }

  /** A rebalance to `name`, which has answered without a break since `answeringSince`, waits. */
  holdsBack(name: string, answeringSince: number, now: number): boolean {
    return now - answeringSince < this.holdDown(name, now);
  }
}
