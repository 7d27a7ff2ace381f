/**
 * Replay protection without comparing clocks across nodes. Each sender stamps packets with
 * (epoch, seq): the epoch grows every time the sender starts (a boot counter kept in its own
 * state file), the sequence grows per packet. A receiver accepts a sender's packet only if it
 * is from a newer epoch, or from the current epoch and not already seen inside a sliding
 * window (IPsec-style, so that UDP reordering is tolerated).
 */
export class ReplayWindow {
  private readonly senders = new Map<string, { epoch: number; highest: number; seen: Set<number> }>();

  constructor(private readonly windowSize = 256) {}

  /** Returns true (and remembers the packet) when it is fresh; false for a replay. */
  accept(sender: string, epoch: number, seq: number): boolean {
    const state = this.senders.get(sender);
    if (state === undefined || epoch > state.epoch) {
      this.senders.set(sender, { epoch, highest: seq, seen: new Set([seq]) });
      return true;
    }
    if (epoch < state.epoch) return false;
    if (seq > state.highest) {
      state.highest = seq;
      state.seen.add(seq);
      if (state.seen.size > this.windowSize) {
        const floor = state.highest - this.windowSize;
        for (const old of state.seen) if (old <= floor) state.seen.delete(old);
      }
      return true;
    }
    if (seq <= state.highest - this.windowSize || state.seen.has(seq)) return false;
    state.seen.add(seq);
    return true;
  }

  get trackedSenders(): number {
    return this.senders.size;
  }
}
