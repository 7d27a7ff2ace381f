/**
 * One connection per host for the whole run: opened lazily on first use, shared by every phase,
 * closed together at the end. Concurrent first uses of a host share one connect.
 */
import { InterruptedError } from '../errors/index.js';
import { JumpConnection } from './jump-connection.js';
import { jumpSpecOf, type SshHostSpec } from './ssh-host-spec.js';
import type { SshSessionOptions } from './ssh-session-options.js';
import { SshTransport } from './ssh-transport.js';
import type { Transport } from './transport.js';

export class TransportPool<S> {
  private readonly open = new Map<string, Promise<Transport>>();
  private readonly onClose: Array<() => Promise<void>> = [];

  constructor(
    private readonly connect: (spec: S) => Promise<Transport>,
    private readonly keyOf: (spec: S) => string,
    private readonly signal?: AbortSignal,
  ) {}

  /** The host's transport, connecting on first use. A failed connect is forgotten, so a later call retries. */
  get(spec: S): Promise<Transport> {
    const key = this.keyOf(spec);
    let t = this.open.get(key);
    if (!t) {
      if (this.signal?.aborted) return Promise.reject(new InterruptedError(`${key}: interrupted; not connecting`));
      t = this.connect(spec);
      this.open.set(key, t);
      t.catch(() => {
        if (this.open.get(key) === t) this.open.delete(key);
      });
    }
    return t;
  }

  /** Hosts with an open (or opening) connection. */
  get size(): number {
    return this.open.size;
  }

  /** Registers extra cleanup (e.g. shared jump connections), run after the transports close. */
  addCleanup(fn: () => Promise<void>): void {
    this.onClose.push(fn);
  }

  /** Closes every connection; never throws. */
  async closeAll(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.allSettled(all.map(async (p) => (await p).close()));
    const cleanups = this.onClose.splice(0);
    await Promise.allSettled(cleanups.map((fn) => fn()));
  }
}

/**
 * An ssh pool: hosts keyed by name (or host), jump connections shared between the hosts behind
 * them that log in to the jump host with the same identity files and have the same connect timeout (a jump connection opened with a host's 2 s must not
 * fail, or hold, a host that was given 30 s; every timeout in use gets one connection).
 */
export function createSshPool(options: SshSessionOptions): TransportPool<SshHostSpec> {
  const jumps = new Map<string, Promise<JumpConnection>>();
  const jumpFor = (spec: SshHostSpec): Promise<JumpConnection> | undefined => {
    const j = jumpSpecOf(spec);
    if (!j) return undefined;
    // The identity files it logs in with count too: a host whose key the bastion takes must not
    // wait on, and fail with, the connection another host's refused key opened.
    const key = `${j.user ?? 'root'}@${j.host}:${j.port ?? 22} ${j.readyTimeoutMs ?? options.readyTimeoutMs ?? 'default'} ${JSON.stringify(j.identityFile ?? null)}`;
    let p = jumps.get(key);
    if (!p) {
      p = JumpConnection.connect(j, options);
      jumps.set(key, p);
      p.catch(() => {
        if (jumps.get(key) === p) jumps.delete(key);
      });
    }
    return p;
  };
  const pool = new TransportPool<SshHostSpec>(
    async (spec) => {
      const jump = await jumpFor(spec);
      return SshTransport.connect(spec, options, jump);
    },
    (spec) => spec.name ?? spec.host,
    options.signal,
  );
  pool.addCleanup(async () => {
    const all = [...jumps.values()];
    jumps.clear();
    await Promise.allSettled(all.map(async (p) => (await p).close()));
  });
  return pool;
}
