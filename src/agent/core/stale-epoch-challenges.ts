import { BoundedMap, MAX_TRACKED_PEERS } from './bounded-map.js';

/** Distinct stale packets remembered as already challenged (a few hundred KB at most). */
const REMEMBERED_PACKETS = 4096;

/**
 * Which packets of an epoch below the sender's newest (guard.ts, `staleEpoch`) are answered with a
 * challenge. Such a packet is either a node re-added under the name at a lower epoch, which needs
 * one challenge naming the epoch we hold to catch up, or a capture of an old run replayed, maybe
 * from a forged source address: answering every copy turned one captured packet into a stream of
 * challenges at that address and used up the sender's challenge budget. So each (sender, epoch,
 * seq) is challenged once while remembered, and a sender gets one stale-epoch challenge per
 * `intervalTicks` at most, a budget of its own that the unvalidated challenges do not share. A
 * re-added node sends a packet every heartbeat: one of them is challenged within the interval.
 */
export class StaleEpochChallenges {
  private readonly challenged: BoundedMap<string, true>;
  private readonly lastChallengeAt: BoundedMap<string, number>;

  constructor(
    private readonly intervalTicks: number,
    maxSenders = MAX_TRACKED_PEERS,
    rememberedPackets = REMEMBERED_PACKETS,
  ) {
    this.challenged = new BoundedMap(rememberedPackets);
    this.lastChallengeAt = new BoundedMap(maxSenders);
  }

  /** True (and counted) when this stale packet may be challenged at tick `now`. */
  take(sender: string, epoch: number, seq: number, now: number): boolean {
    const key = `${sender}|${epoch}|${seq}`;
    if (this.challenged.get(key) !== undefined) return false;
    const last = this.lastChallengeAt.get(sender);
    if (last !== undefined && now - last < this.intervalTicks) return false;
    this.challenged.set(key, true);
    this.lastChallengeAt.set(sender, now);
    return true;
  }
}
