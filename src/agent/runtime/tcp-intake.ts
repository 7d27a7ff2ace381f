import type { Socket } from 'node:net';

/** Why the intake closed a connection or threw bytes away; each is counted in /metrics (gridagent_dropped_total). */
export type IntakeDrop = 'oversized' | 'tcpConnectionLimit' | 'tcpPeerLimit' | 'tcpMemoryBudget' | 'tcpPeerMemoryBudget' | 'tcpSlowFrame';

/** The bounds on what unauthenticated TCP input may cost; every frame is unauthenticated until its HMAC is checked. */
export interface IntakeLimits {
  /** Largest frame accepted (a registry copy); a bigger announced length closes the connection at once. */
  maxFrameBytes: number;
  /** Open inbound connections, in total and from one peer address. */
  maxConnections: number;
  maxConnectionsPerPeer: number;
  /** Bytes held for incomplete frames, over all connections together. */
  memoryBudgetBytes: number;
  /** The same, over the connections of one peer address: one address cannot take the whole budget from the others. */
  memoryBudgetPerPeerBytes: number;
  /** A frame must arrive whole within this long of its first byte (a slow sender cannot pin memory). */
  frameTimeoutMs: number;
  /** A connection with no bytes for this long is closed. */
  idleTimeoutMs: number;
}

export const DEFAULT_INTAKE_LIMITS: IntakeLimits = {
  maxFrameBytes: 4 * 1024 * 1024,
  maxConnections: 64,
  maxConnectionsPerPeer: 4,
  memoryBudgetBytes: 16 * 1024 * 1024,
  // Two of the largest frames in flight from one peer (a sync and a merge), half the budget: an
  // address that fills its share leaves the other half to the rest (4 connections of 4 MiB took all of it).
  memoryBudgetPerPeerBytes: 8 * 1024 * 1024 + 64 * 1024,
  frameTimeoutMs: 5_000,
  idleTimeoutMs: 10_000,
};

/**
 * Cuts length-prefixed frames out of inbound TCP connections while keeping what anyone can make
 * the agent hold bounded: connections in total and per peer, bytes buffered over all of them and
 * per peer address, and time per frame. A frame's bytes are kept in the chunks they came in and
 * joined once, when the frame is whole (joining them at every chunk cost a 4 MiB frame sent in
 * 1460-byte segments most of a second of CPU), and released as soon as the frame is handed on or
 * the connection closes.
 */
export class TcpIntake {
  private open = 0;
  private readonly perPeer = new Map<string, number>();
  private buffered = 0;
  private readonly bufferedPerPeer = new Map<string, number>();

  constructor(
    private readonly limits: IntakeLimits,
    private readonly onFrame: (frame: Buffer) => void,
    private readonly onDrop: (reason: IntakeDrop, bytes: number) => void,
  ) {}

  /** What the intake holds now, for tests and /metrics. */
  stats(): { connections: number; bufferedBytes: number } {
    return { connections: this.open, bufferedBytes: this.buffered };
  }

  accept(socket: Socket): void {
    const peer = socket.remoteAddress ?? 'unknown';
    socket.on('error', () => undefined);
    if (this.open >= this.limits.maxConnections) return this.refuse(socket, 'tcpConnectionLimit');
    if ((this.perPeer.get(peer) ?? 0) >= this.limits.maxConnectionsPerPeer) return this.refuse(socket, 'tcpPeerLimit');
    this.open++;
    this.perPeer.set(peer, (this.perPeer.get(peer) ?? 0) + 1);

    let chunks: Buffer[] = [];
    let held = 0;
    /** The length the frame being received announced, once its 4 bytes are in. */
    let announced: number | undefined;
    let frameTimer: NodeJS.Timeout | undefined;
    /** Counts `delta` bytes held (or released) by this connection, in its peer's share and the whole budget. */
    const hold = (delta: number) => {
      held += delta;
      this.buffered += delta;
      const peerHeld = (this.bufferedPerPeer.get(peer) ?? 0) + delta;
      if (peerHeld > 0) this.bufferedPerPeer.set(peer, peerHeld);
      else this.bufferedPerPeer.delete(peer);
    };
    const release = () => {
      hold(-held);
      chunks = [];
      announced = undefined;
    };
    const close = (reason?: IntakeDrop) => {
      if (reason) this.onDrop(reason, held);
      release();
      clearTimeout(frameTimer);
      socket.destroy();
    };
    socket.setTimeout(this.limits.idleTimeoutMs, () => close());
    socket.once('close', () => {
      release();
      clearTimeout(frameTimer);
      this.open--;
      const left = (this.perPeer.get(peer) ?? 1) - 1;
      if (left > 0) this.perPeer.set(peer, left);
      else this.perPeer.delete(peer);
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.buffered + chunk.length > this.limits.memoryBudgetBytes) return close('tcpMemoryBudget');
      if ((this.bufferedPerPeer.get(peer) ?? 0) + chunk.length > this.limits.memoryBudgetPerPeerBytes) return close('tcpPeerMemoryBudget');
      if (held === 0) frameTimer = setTimeout(() => close('tcpSlowFrame'), this.limits.frameTimeoutMs);
      chunks.push(chunk);
      hold(chunk.length);
      // Most chunks of a large frame end here, kept as they came: nothing is joined until a whole frame is in.
      if (held < 4 || (announced !== undefined && held < 4 + announced)) return;
      const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, held);
      const frames: Buffer[] = [];
      let at = 0;
      announced = undefined;
      while (data.length - at >= 4) {
        const length = data.readUInt32BE(at);
        if (length > this.limits.maxFrameBytes) {
          close('oversized');
          break;
        }
        if (data.length - at < 4 + length) {
          announced = length;
          break;
        }
        // Copied out, so that what stays held is only what is counted.
        frames.push(Buffer.from(data.subarray(at + 4, at + 4 + length)));
        at += 4 + length;
      }
      if (socket.destroyed) {
        // Closed for an oversized announcement: the frames before it were whole and are handed on.
        for (const frame of frames) this.onFrame(frame);
        return;
      }
      const rest = at === 0 ? data : Buffer.from(data.subarray(at));
      hold(rest.length - held);
      chunks = rest.length ? [rest] : [];
      if (frames.length) {
        clearTimeout(frameTimer);
        if (held) frameTimer = setTimeout(() => close('tcpSlowFrame'), this.limits.frameTimeoutMs);
      }
      for (const frame of frames) this.onFrame(frame);
    });
  }

  private refuse(socket: Socket, reason: IntakeDrop): void {
    this.onDrop(reason, 0);
    socket.destroy();
  }
}
