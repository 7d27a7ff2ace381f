import type { Socket } from 'node:net';

/** The bounds on the HTTP server's open connections. */
export interface HttpConnectionLimits {
  /** Connections held at once, in total. */
  maxConnections: number;
  /** Connections held at once from one remote address. */
  maxConnectionsPerAddress: number;
  /**
   * An answer ended this long ago and still not sent (a client that does not read it) no longer
   * keeps its connection from being closed (ms). Counted from the end of the answer, not the
   * arrival of the request: a handler that runs long (POST /leave: a handover, then up to 4 s until
   * the node is dropped) is the agent's own time, and a leave cut off by newcomers failed.
   */
  stalledAfterMs: number;
}

/** One request on a connection, from its arrival until its answer is sent or given up. */
export interface RequestInFlight {
  /** The handler ended its answer (response.end): from here on its client's reading is what it waits for. */
  responded(): void;
  /** The answer was sent, or given up (the response's 'close'). */
  done(): void;
}

/** One open connection, as the limits see it. */
interface Held {
  readonly socket: Socket;
  readonly address: string;
  /**
   * Requests being answered on it now (HTTP/1.1 pipelining can queue more than one), each with
   * when its handler ended the answer (null while the handler runs).
   */
  readonly answering: Set<{ respondedAt: number | null }>;
}

/**
 * Keeps the HTTP server's connections within their limits without shutting anyone out. A newcomer
 * over a limit takes the place of the oldest connection that has no request being answered (idle
 * between keep-alive requests, or still sending its headers), rather than being refused: refused
 * newcomers let one client holding idle connections keep /status from gridops' verify, `gridagent
 * status`, the rolling-upgrade health gate and Prometheus (64 idle connections opened each second
 * made 10 of 11 requests fail). A client's request comes with its connection, so it is answered
 * before enough newer ones arrive to close it. Over its own address's limit a newcomer replaces one
 * of that address's; over the total, one of the address holding the most (as tcp-intake.ts does):
 * a remote client flooding a 0.0.0.0 httpAddress cannot take the slots of the others. A connection
 * is refused only when every one it could replace is being answered. Being answered lasts while the
 * handler runs, and then until `stalledAfterMs` after it ended the answer (a client that does not
 * read it would otherwise hold its slot for good).
 */
export class HttpConnections {
  /** Open connections, in the order they were accepted: the first idle one is the oldest. */
  private readonly held = new Map<Socket, Held>();
  private readonly perAddress = new Map<string, number>();

  constructor(
    private readonly limits: HttpConnectionLimits,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** How many connections are held, in total and from `address`. */
  count(address?: string): number {
    return address === undefined ? this.held.size : (this.perAddress.get(address) ?? 0);
  }

  /** Takes a new connection in, making room for it or closing it. */
  accept(socket: Socket): void {
    const address = socket.remoteAddress ?? 'unknown';
    if (this.count(address) >= this.limits.maxConnectionsPerAddress && !this.closeIdle((held) => held.address === address)) return void socket.destroy();
    // One of the busiest address's, else any: only when every connection is being answered is the newcomer refused.
    if (this.held.size >= this.limits.maxConnections && !this.closeIdle(this.ofBusiestAddress()) && !this.closeIdle(() => true)) return void socket.destroy();
    this.held.set(socket, { socket, address, answering: new Set() });
    this.perAddress.set(address, this.count(address) + 1);
    socket.once('close', () => this.forget(socket));
  }

  /** A request came in on `socket`: the server says when its answer is ended, and when it is sent or given up. */
  requestStarted(socket: Socket): RequestInFlight {
    const held = this.held.get(socket);
    if (held === undefined) return { responded: () => undefined, done: () => undefined };
    const request: { respondedAt: number | null } = { respondedAt: null };
    held.answering.add(request);
    return {
      responded: () => void (request.respondedAt ??= this.now()),
      done: () => void held.answering.delete(request),
    };
  }

  /** Closes the oldest connection that `eligible` accepts and that has no request being answered (a stalled one aside); false when there is none. */
  private closeIdle(eligible: (held: Held) => boolean): boolean {
    const stalledBefore = this.now() - this.limits.stalledAfterMs;
    const stalled = (request: { respondedAt: number | null }) => request.respondedAt !== null && request.respondedAt <= stalledBefore;
    for (const held of this.held.values()) {
      if (!eligible(held) || ![...held.answering].every(stalled)) continue;
      // Forgotten at once, so that the slot is free before the newcomer is counted ('close' comes later).
      this.forget(held.socket);
      held.socket.destroy();
      return true;
    }
    return false;
  }

  /** Selects the connections of the addresses holding the most, where one of them may be closed. */
  private ofBusiestAddress(): (held: Held) => boolean {
    const most = Math.max(...this.perAddress.values());
    return (held) => this.count(held.address) === most;
  }

  private forget(socket: Socket): void {
    const held = this.held.get(socket);
    if (held === undefined) return;
    this.held.delete(socket);
    const left = this.count(held.address) - 1;
    if (left > 0) this.perAddress.set(held.address, left);
    else this.perAddress.delete(held.address);
  }
}
