import type { Socket } from 'node:net';

/** Why the intake closed a connection or threw bytes away; each is counted in /metrics (gridagent_dropped_total). */
export type IntakeDrop = 'oversized' | 'tcpConnectionLimit' | 'tcpPeerLimit' | 'tcpMemoryBudget' | 'tcpSlowFrame';

/** The bounds on what unauthenticated TCP input may cost; every frame is unauthenticated until its HMAC is checked. */
export interface IntakeLimits {
  /** Largest frame accepted (a registry copy); a bigger announced length closes the connection at once. */
  maxFrameBytes: number;
  /** Open inbound connections, in total and from one peer address. */
  maxConnections: number;
  maxConnectionsPerPeer: number;
  /** Bytes held for incomplete frames, over all connections together. */
  memoryBudgetBytes: number;
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
  frameTimeoutMs: 5_000,
  idleTimeoutMs: 10_000,
};

/**
 * Cuts length-prefixed frames out of inbound TCP connections while keeping what anyone can make
 * the agent hold bounded: connections in total and per peer, bytes buffered over all of them, and
 * time per frame. A frame's bytes are kept in the chunks they came in (no re-copy per chunk) and
 * released as soon as the frame is handed on or the connection closes.
 */
export class TcpIntake {
  private open = 0;
  private readonly perPeer = new Map<string, number>();
  private buffered = 0;

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
    let frameTimer: NodeJS.Timeout | undefined;
    const release = () => {
      this.buffered -= held;
      held = 0;
      chunks = [];
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
      if (held === 0) frameTimer = setTimeout(() => close('tcpSlowFrame'), this.limits.frameTimeoutMs);
      chunks.push(chunk);
      held += chunk.length;
      this.buffered += chunk.length;
      while (held >= 4) {
        const head = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, held);
        chunks = [head];
        const length = head.readUInt32BE(0);
        if (length > this.limits.maxFrameBytes) return close('oversized');
        if (held < 4 + length) return;
        const frame = Buffer.from(head.subarray(4, 4 + length));
        const rest = head.subarray(4 + length);
        this.buffered -= 4 + length;
        held = rest.length;
        chunks = held ? [rest] : [];
        clearTimeout(frameTimer);
        if (held) frameTimer = setTimeout(() => close('tcpSlowFrame'), this.limits.frameTimeoutMs);
        this.onFrame(frame);
      }
    });
  }

  private refuse(socket: Socket, reason: IntakeDrop): void {
    this.onDrop(reason, 0);
    socket.destroy();
  }
}
