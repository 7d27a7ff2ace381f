import { MAX_TRACKED_PEERS } from './bounded-map.js';

interface SenderWindow {
  epoch: number;
  highest: number;
  seen: Set<number>;
  /** The generation (below) current when this record was made. */
  since: number;
}

/**
 * Replay protection without comparing clocks across nodes. Each sender stamps packets with
 * (epoch, seq): the epoch grows every time the sender starts (a boot counter kept in its own
 * state file), the sequence grows per packet. A receiver accepts a sender's packet only if it
 * is from a newer epoch, or from the current epoch and not already seen inside a sliding
 * window (IPsec-style, so that UDP reordering is tolerated).
 *
 * At most `capacity` senders are remembered (bounded-map.ts: anyone holding the grid key can
 * name a new sender in every packet). When full, the least recently heard sixteenth is forgotten
 * at once and the **generation** grows by one. A forgotten sender's next packet starts a new record
 * and is taken as fresh by the window, as after a restart of this node; `accept` returns the
 * generation its record began in, and the guard (guard.ts) acts on a state-changing packet only if
 * it echoes the nonce of that generation or a later one, which no packet sent before the sender
 * was forgotten can carry: a replay of its old packets is challenged, never acted on (`since`). Forgetting in
 * batches keeps the generations (and so the nonces this run hands out) few even under a flood.
 */
export class ReplayWindow {
  private readonly senders = new Map<string, SenderWindow>();
  private currentGeneration = 0;

  constructor(
    private readonly windowSize = 256,
    private readonly capacity = MAX_TRACKED_PEERS,
    /** Hears every sender forgotten (the guard drops what it keeps per sender with it). */
    private readonly onForget?: (sender: string) => void,
  ) {}

  /** The generation now: it grows each time senders are forgotten. */
  get generation(): number {
    return this.currentGeneration;
  }

  /**
   * The generation the sender's record began in (0 for a sender never forgotten); null for a
   * sender not remembered. Asked right after accept() took its packet.
   */
  since(sender: string): number | null {
    return this.senders.get(sender)?.since ?? null;
  }

  /** Returns true (and remembers the packet) when it is fresh; false for a replay. */
  accept(sender: string, epoch: number, seq: number): boolean {
    const state = this.senders.get(sender);
    if (state === undefined || epoch > state.epoch) {
      const since = state?.since ?? this.makeRoom();
      this.remember(sender, { epoch, highest: seq, seen: new Set([seq]), since });
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
      this.remember(sender, state);
      return true;
    }
    if (seq <= state.highest - this.windowSize || state.seen.has(seq)) return false;
    state.seen.add(seq);
    this.remember(sender, state);
    return true;
  }

  /** The newest epoch heard from the sender (undefined for a sender not remembered). */
  epochOf(sender: string): number | undefined {
    return this.senders.get(sender)?.epoch;
  }

  get trackedSenders(): number {
    return this.senders.size;
  }

  /** Moves the sender to the most recently heard end (a Map keeps insertion order). */
  private remember(sender: string, state: SenderWindow): void {
    this.senders.delete(sender);
    this.senders.set(sender, state);
  }

  /** Forgets the least recently heard sixteenth when full; returns the generation a new record begins in. */
  private makeRoom(): number {
    if (this.senders.size < this.capacity) return this.currentGeneration;
    const batch = Math.max(1, Math.ceil(this.capacity / 16));
    for (const sender of [...this.senders.keys()].slice(0, batch)) {
      this.senders.delete(sender);
      this.onForget?.(sender);
    }
    return ++this.currentGeneration;
  }
}
