import type { Socket } from 'node:net';

/** Why the intake closed a connection or threw bytes away; each is counted in /metrics (gridagent_dropped_total). */
export type IntakeDrop =
  | 'oversized'
  | 'tcpConnectionLimit'
  | 'tcpPeerLimit'
  | 'tcpMemoryBudget'
  | 'tcpPeerMemoryBudget'
  | 'tcpSlowFrame'
  | 'tcpAfterFrame';

/** The bounds on what unauthenticated TCP input may cost; every frame is unauthenticated until its HMAC is checked. */
export interface IntakeLimits {
  /** Largest frame accepted (a registry copy); a bigger announced length closes the connection at once. */
  maxFrameBytes: number;
  /**
   * Open inbound connections, in total and from one peer address. With every slot taken, a newcomer
   * takes the oldest connection of the address holding the most, if that is more than its own address would.
   */
  maxConnections: number;
  maxConnectionsPerPeer: number;
  /**
   * Bytes held for incomplete frames, over all connections together. With it full, the frame that
   * started longest ago is closed to make room, not the newcomer's.
   */
  memoryBudgetBytes: number;
  /** The same, over the connections of one peer address: one address cannot take the whole budget from the others. */
  memoryBudgetPerPeerBytes: number;
  /** A connection is closed this long after it was accepted: its one frame must be whole by then. */
  connectionLifetimeMs: number;
}

export const DEFAULT_INTAKE_LIMITS: IntakeLimits = {
  maxFrameBytes: 4 * 1024 * 1024,
  maxConnections: 64,
  maxConnectionsPerPeer: 4,
  memoryBudgetBytes: 16 * 1024 * 1024,
  // Two of the largest frames and a read's worth over them: a peer may have a sync and a merge of a
  // large registry in flight at once. Two addresses can then fill the budget, which no longer keeps
  // a third out: with the budget full, the frame that started longest ago is closed, not the newcomer's.
  memoryBudgetPerPeerBytes: 8 * 1024 * 1024 + 64 * 1024,
  // The sender gives up after 5 s without progress (transport.ts), so a frame later than that is lost anyway.
  connectionLifetimeMs: 5_000,
};

/** One inbound connection, as the budgets see it. */
interface Inbound {
  readonly peer: string;
  /** When its frame's first byte came, in the intake's own order (0: none yet); the smallest is the oldest. */
  startedAt: number;
  /** Bytes it holds. */
  held: number;
  close(reason?: IntakeDrop): void;
}

/**
 * Cuts the one length-prefixed frame out of each inbound TCP connection while keeping what anyone
 * can make the agent hold bounded: connections in total and per peer, bytes buffered over all of
 * them and per peer address, and time per connection. A sender uses one connection per frame
 * (transport.ts: `socket.end(frame)`), so a connection is closed once its frame is whole: a
 * connection that went on sending (empty frames every few seconds) held its slot for good.
 * A frame's bytes are kept in the chunks they came in and joined once, when the frame is whole
 * (joining them at every chunk cost a 4 MiB frame sent in 1460-byte segments most of a second of
 * CPU), and released as soon as the frame is handed on or the connection closes.
 */
export class TcpIntake {
  /** Open connections, in the order they were accepted. */
  private readonly connections = new Set<Inbound>();
  private readonly perPeer = new Map<string, number>();
  private buffered = 0;
  private readonly bufferedPerPeer = new Map<string, number>();
  private firstBytes = 0;

  constructor(
    private readonly limits: IntakeLimits,
    private readonly onFrame: (frame: Buffer) => void,
    private readonly onDrop: (reason: IntakeDrop, bytes: number) => void,
  ) {}

  /** What the intake holds now, for tests and /metrics. */
  stats(): { connections: number; bufferedBytes: number } {
    return { connections: this.connections.size, bufferedBytes: this.buffered };
  }

  accept(socket: Socket): void {
    const peer = socket.remoteAddress ?? 'unknown';
    socket.on('error', () => undefined);
    if ((this.perPeer.get(peer) ?? 0) >= this.limits.maxConnectionsPerPeer) return this.refuse(socket, 'tcpPeerLimit');
    if (this.connections.size >= this.limits.maxConnections && !this.freeSlotFor(peer)) return this.refuse(socket, 'tcpConnectionLimit');

    let chunks: Buffer[] = [];
    /** The length the frame announced, once its 4 bytes are in. */
    let announced: number | undefined;
    let gone = false;
    const self: Inbound = { peer, startedAt: 0, held: 0, close: (reason) => close(reason) };
    /** Counts `delta` bytes held (or released) by this connection, in its peer's share and the whole budget. */
    const hold = (delta: number) => {
      self.held += delta;
      this.buffered += delta;
      const peerHeld = (this.bufferedPerPeer.get(peer) ?? 0) + delta;
      if (peerHeld > 0) this.bufferedPerPeer.set(peer, peerHeld);
      else this.bufferedPerPeer.delete(peer);
    };
    // Everything the connection holds is given back here, at once, so that a slot or bytes freed to
    // make room for another connection are free before that one goes on (the 'close' event comes later).
    const forget = () => {
      if (gone) return;
      gone = true;
      hold(-self.held);
      chunks = [];
      clearTimeout(lifetime);
      this.connections.delete(self);
      const left = (this.perPeer.get(peer) ?? 1) - 1;
      if (left > 0) this.perPeer.set(peer, left);
      else this.perPeer.delete(peer);
    };
    const close = (reason?: IntakeDrop, bytes = self.held) => {
      if (gone) return;
      if (reason) this.onDrop(reason, bytes);
      forget();
      socket.destroy();
    };
    this.connections.add(self);
    this.perPeer.set(peer, (this.perPeer.get(peer) ?? 0) + 1);
    // One limit for a connection that sends nothing, trickles, or never finishes its frame.
    const lifetime = setTimeout(() => close('tcpSlowFrame'), this.limits.connectionLifetimeMs);
    socket.once('close', forget);
    socket.on('data', (chunk: Buffer) => {
      if (gone) return;
      if ((this.bufferedPerPeer.get(peer) ?? 0) + chunk.length > this.limits.memoryBudgetPerPeerBytes) return close('tcpPeerMemoryBudget');
      if (!this.makeRoom(self, chunk.length)) return close('tcpMemoryBudget');
      if (self.startedAt === 0) self.startedAt = ++this.firstBytes;
      chunks.push(chunk);
      hold(chunk.length);
      if (self.held < 4) return;
      if (announced === undefined) {
        // Only the first bytes are ever joined before the frame is whole, and only when they came split.
        if (chunks.length > 1) chunks = [Buffer.concat(chunks, self.held)];
        announced = chunks[0]!.readUInt32BE(0);
        if (announced > this.limits.maxFrameBytes) return close('oversized');
      }
      // Most chunks of a large frame end here, kept as they came: nothing is joined until the frame is in.
      if (self.held < 4 + announced) return;
      const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, self.held);
      const after = self.held - 4 - announced;
      // Copied out when bytes follow it, so that the frame does not keep them.
      const frame = after > 0 ? Buffer.from(data.subarray(4, 4 + announced)) : data.subarray(4);
      if (after > 0) close('tcpAfterFrame', after);
      else close();
      this.onFrame(frame);
    });
  }

  /** With every slot taken: closes the oldest connection of the address with the most, if it has more than `peer` would. */
  private freeSlotFor(peer: string): boolean {
    let busiest: string | undefined;
    let most = 0;
    for (const [address, count] of this.perPeer) if (count > most) (busiest = address), (most = count);
    if (busiest === undefined || most <= (this.perPeer.get(peer) ?? 0) + 1) return false;
    for (const conn of this.connections) {
      if (conn.peer !== busiest) continue;
      conn.close('tcpConnectionLimit');
      return true;
    }
    return false;
  }

  /**
   * Makes room in the whole budget for `bytes` more of `conn`'s frame by closing the frames that
   * started longest ago; false when `conn`'s own frame is the oldest. A peer's frame crosses a LAN
   * in milliseconds, so to keep its frames younger than it, an attacker would have to send the
   * whole budget again within that time; holding frames half-sent for seconds is what costs it them.
   */
  private makeRoom(conn: Inbound, bytes: number): boolean {
    while (this.buffered + bytes > this.limits.memoryBudgetBytes) {
      let oldest: Inbound | undefined;
      for (const other of this.connections) if (other.held > 0 && (!oldest || other.startedAt < oldest.startedAt)) oldest = other;
      if (!oldest || oldest === conn) return false;
      oldest.close('tcpMemoryBudget');
    }
    return true;
  }

  private refuse(socket: Socket, reason: IntakeDrop): void {
    this.onDrop(reason, 0);
    socket.destroy();
  }
}
