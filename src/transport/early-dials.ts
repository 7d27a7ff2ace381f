/**
 * TCP connections opened before the SSH library is ready to use them.
 *
 * Why: between the moment a run knows its first hosts and its first SSH handshake, the CLI still
 * loads ssh2 and parses the identity files (50 to 60 ms of one core). Meanwhile a host's sshd has its own start to make: accept, fork, re-exec, load its keys,
 * send its banner. Dialled first, the hosts do that on the other cores (or machines) while the CLI
 * loads; the handshake then starts on a socket whose banner is already there. Nothing is sent on
 * a dialled socket: ssh2 speaks first on it exactly as on one it opened itself.
 *
 * A dialled socket is handed out once, to the first handshake of its host and port; a retry dials
 * afresh. One that failed (refused, reset) before it was taken is never handed out: the handshake
 * then dials itself, and reports that host's error the usual way. One the host ended gracefully
 * is handed out as it is: ssh2 sees the end, and the handshake's retry dials afresh. Those never
 * taken are closed by `closeAll`.
 *
 * A dial has no timeout of its own: the handshake that takes the socket (connected or still
 * connecting) starts ssh2's readyTimeout, the node's own ssh.connectTimeout, at that moment.
 */
import { connect, type Socket } from 'node:net';

export class EarlyDials {
  private readonly sockets = new Map<string, Socket>();

  /** Opens a TCP connection to host:port, unless one is already open or opening. */
  dial(host: string, port: number): void {
    const key = keyOf(host, port);
    if (this.sockets.has(key)) return;
    const socket = connect({ host, port });
    // Until ssh2 takes it, an error only marks it unusable (ssh2 then dials and sees the error itself).
    socket.on('error', () => socket.destroy());
    // Nagle plus delayed ACKs costs ~40 ms per small request/response exchange (as ssh-handshake.ts sets it).
    socket.setNoDelay(true);
    this.sockets.set(key, socket);
  }

  /**
   * Dials the hosts a fan-out of `concurrency` starts first (the first `concurrency` of `targets`,
   * in order), except those reached through a jump host: their TCP connection is the jump host's
   * to open. Dialling more would only hold sshd's unauthenticated-connection slots (MaxStartups).
   * Resolves once the connect calls of those given by IP address have reached the kernel
   * (connectsIssued), so what the caller does next, such as loading ssh2, no longer holds them
   * back; a host name's connect waits for its DNS answer, which may come later.
   */
  async dialFirst(targets: ReadonlyArray<{ host: string; port?: number; jumpHost?: unknown }>, concurrency: number): Promise<void> {
    for (const t of targets.slice(0, Math.max(1, Math.floor(concurrency)))) if (!t.jumpHost) this.dial(t.host, t.port ?? 22);
    await connectsIssued();
  }

  /** The socket dialled for host:port if it is still usable, once; undefined otherwise. */
  take(host: string, port: number): Socket | undefined {
    const key = keyOf(host, port);
    const socket = this.sockets.get(key);
    if (!socket) return undefined;
    this.sockets.delete(key);
    if (socket.destroyed || socket.readyState === 'closed' || socket.readableEnded) {
      socket.destroy();
      return undefined;
    }
    return socket;
  }

  /** How many dialled sockets wait to be taken. */
  get waiting(): number {
    return this.sockets.size;
  }

  /** Closes the sockets no handshake took (a run that ended early, or a host it never reached). */
  closeAll(): void {
    for (const socket of this.sockets.values()) socket.destroy();
    this.sockets.clear();
  }
}

/**
 * Resolves after the connects asked for so far have been made. Node defers the connect of a socket
 * dialled by IP address to process.nextTick, and ticks wait for the current chain of promise
 * callbacks: a caller that went on to load ssh2 and parse its keys in that chain (synchronous work,
 * about 60 ms) dialled the hosts only after it (measured on 50 lab hosts, 2026-12-03: the first
 * connect came 45 to 65 ms after ssh2 began to load, once the keys were parsed). A setImmediate callback
 * runs after the ticks.
 */
function connectsIssued(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function keyOf(host: string, port: number): string {
  return `${host}\0${port}`;
}
