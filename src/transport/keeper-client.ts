/**
 * A run's side of the connection keeper (keeper-server.ts): finds the keeper for a set of
 * known_hosts files, the user's and the global ones (starting it, detached, when there is none),
 * and hands out Transports whose commands run on the keeper's kept connections. Used with
 * `--persist DURATION`.
 */
import { spawn } from 'node:child_process';
import { unlinkSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectionError, InterruptedError } from '../errors/index.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { fileAnswersFromWire, fromWire, KEEPER_MAX_REPLY_CHARS, KEEPER_MAX_REQUEST_CHARS, keeperDir, keeperSocket, type KeeperReply, type KeeperRequest, type KeptHeldReply } from './keeper-protocol.js';
import { heldSessionUnavailable } from './held-read.js';
import { ensureOwnKeeperSocket, ensurePrivateDir, ensureSocketPathFits, KeeperDirError } from './keeper-dir.js';
import type { TransportLogger } from './logger.js';
import type { SshHostSpec } from './ssh-host-spec.js';
import { LineSplitter } from './line-splitter.js';
import { readKnownHostsTexts } from './known-hosts.js';
import { isLocalFile, type ExecOptions, type ExecResult, type FileAnswer, type FileQuery, type HeldRead, type Transport, type UploadContent, type UploadOptions } from './transport.js';

/**
 * A keeper takes new runs for this long, and no connection older than this serves a new connect;
 * then it lets its attached runs finish (KEEPER_DRAIN_MS at most, keeper-server.ts). The one
 * place of the limit: the CLI refuses a longer `--persist` (cli-flags.ts), and the keeper caps its
 * idle time at it (keeper-server.ts) for any other caller.
 */
export const KEEPER_MAX_LIFETIME_MS = 30 * 60_000;

/**
 * The keeper's command-line times for a run that asks to keep connections `persistMs`: its idle
 * time, and its whole life, which is never longer than KEEPER_MAX_LIFETIME_MS (a larger `persistMs`
 * used to stretch the keeper's life to match it, past the documented 30 minutes).
 */
export function keeperLifetime(persistMs: number): { idleMs: number; maxMs: number } {
  return { idleMs: Math.min(Math.max(0, persistMs), KEEPER_MAX_LIFETIME_MS), maxMs: KEEPER_MAX_LIFETIME_MS };
}

type Request = KeeperRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  onChunk?: (text: string) => void;
}

function dial(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** One run's connection to a keeper. */
export class KeeperClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly lines = new LineSplitter(
    KEEPER_MAX_REPLY_CHARS,
    (line) => this.onLine(line),
    // The keeper answers an error in place of a longer answer: a line this long is not its, so the run lets go of it.
    () => {
      this.failAll(new ConnectionError('keeper', `the connection keeper sent an answer of over ${KEEPER_MAX_REPLY_CHARS / 2 ** 20} MiB`, 'rerun without --persist'));
      this.socket.destroy();
    },
  );

  private constructor(
    private readonly socket: Socket,
    readonly socketPath: string,
    private readonly persistMs: number,
  ) {
    socket.setEncoding('utf8');
    socket.unref();
    socket.on('data', (data: string) => this.lines.push(data));
    socket.on('close', () => this.failAll(new ConnectionError('keeper', 'the connection keeper went away', 'rerun; without --persist the run connects directly')));
    socket.on('error', () => undefined);
  }

  /**
   * The keeper for the known_hosts files (`writable`, the user's, and the global `readOnly` ones) as
   * they are now, started if none runs; it stays `persistMs` after its last request (at most
   * KEEPER_MAX_LIFETIME_MS in all). A missing file is read as empty (the keeper then refuses every
   * key it would have vouched for, as a run would); one that cannot be read is thrown.
   */
  static async attach(files: { writable: string; readOnly: readonly string[] }, persistMs: number, env: NodeJS.ProcessEnv = process.env): Promise<KeeperClient> {
    const knownHosts = readKnownHostsTexts(files);
    const dir = keeperDir(env);
    // Whatever answers at the socket gets this run's commands and is believed: the directory and
    // everything on the way to it must be out of other users' reach (keeper-dir.ts).
    ensureSocketPathFits(dir);
    ensurePrivateDir(dir);
    const path = keeperSocket(dir, knownHosts);
    try {
      if (ensureOwnKeeperSocket(path)) return new KeeperClient(await dial(path), path, persistMs);
    } catch (err) {
      if (err instanceof KeeperDirError) throw err;
      if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED') unlinkSafe(path); // a keeper that died left its socket
    }
    const { idleMs, maxMs } = keeperLifetime(persistMs);
    // Through sh for `ulimit -c 0`: batch scripts, with the files they write (the grid key among
    // them), pass through the keeper's memory, which a core dump would write to disk.
    const child = spawn('/bin/sh', ['-c', 'ulimit -c 0 && exec "$0" "$@"', process.execPath, `${PACKAGE_ROOT}/dist/transport/keeper-main.js`, path, String(idleMs), String(maxMs)], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
      // Only what ssh needs: no become password reaches the keeper.
      env: Object.fromEntries(['PATH', 'HOME', 'SSH_AUTH_SOCK', 'LANG'].flatMap((k) => (env[k] ? [[k, env[k]]] : []))),
    });
    // The texts the socket is named after, through the pipe (never a file gridops writes): the
    // keeper verifies against exactly these, not the files read again.
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(JSON.stringify(knownHosts));
    // A keeper that could not be spawned, or that exited, will not answer: the run falls back at
    // once rather than after the whole wait. (Unheard, a spawn error would also end the run.)
    let gone: string | undefined;
    child.once('error', (err) => (gone ??= err.message));
    child.once('exit', (code, signal) => (gone ??= `it exited with ${signal ? `signal ${signal}` : `code ${code}`}`));
    child.unref();
    const until = Date.now() + 10_000;
    for (;;) {
      try {
        ensureOwnKeeperSocket(path);
        return new KeeperClient(await dial(path), path, persistMs);
      } catch (err) {
        if (err instanceof KeeperDirError) throw err;
        const code = (err as NodeJS.ErrnoException).code;
        // No socket yet, or one not yet listening, is a keeper still starting; any other refusal of the path will not pass by waiting.
        const starting = code === 'ENOENT' || code === 'ECONNREFUSED';
        // Checked after a dial: a keeper that exited because another run's keeper took the socket first left that one to attach to.
        const why = !starting || gone || Date.now() > until ? (gone ?? (err as Error).message) : undefined;
        if (why) throw new ConnectionError('keeper', `the connection keeper did not start (${why})`, 'run without --persist');
        await sleep(20);
      }
    }
  }

  /**
   * Sends `req` and waits for its answer. On `signal`, the keeper is told to cancel it and the
   * answer is awaited (an exec stops there first); with `abandon`, the run stops waiting at once
   * and rejects with its error, leaving the keeper to finish the work for itself.
   */
  request(req: Request, options: { signal?: AbortSignal; onChunk?: (text: string) => void; abandon?: () => Error } = {}): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed) return reject(new ConnectionError('keeper', 'the connection keeper went away', 'rerun'));
      // The id first: the keeper answers a line past its bound by the id at its start (keeper-protocol.ts).
      const line = JSON.stringify({ id, ...req });
      if (line.length > KEEPER_MAX_REQUEST_CHARS) return reject(new Error(`a request of over ${KEEPER_MAX_REQUEST_CHARS / 2 ** 20} MiB cannot go through the connection keeper; run without --persist`));
      const onAbort = () => {
        this.socket.write(`${JSON.stringify({ id: this.nextId++, op: 'cancel', target: id })}\n`);
        if (options.abandon) this.pending.get(id)?.reject(options.abandon());
      };
      const done = () => {
        options.signal?.removeEventListener('abort', onAbort);
        this.pending.delete(id);
        if (this.pending.size === 0) this.socket.unref();
      };
      this.pending.set(id, {
        resolve: (v) => (done(), resolve(v)),
        reject: (e) => (done(), reject(e)),
        ...(options.onChunk ? { onChunk: options.onChunk } : {}),
      });
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.socket.ref();
      this.socket.write(`${line}\n`);
    });
  }

  /** Sends a request that has no answer (release): nothing waits for it, so the socket is not held open for it. */
  notify(req: Request): void {
    if (!this.socket.destroyed) this.socket.write(`${JSON.stringify({ id: this.nextId++, ...req })}\n`);
  }

  /** A Transport for `spec` on a kept connection (opened and verified by the keeper if it has none). */
  async connect(spec: SshHostSpec, readyTimeoutMs: number, runSignal?: AbortSignal, log?: TransportLogger): Promise<Transport & { connectMs: number; reused: boolean }> {
    const name = spec.name ?? spec.host;
    if (runSignal?.aborted) throw new InterruptedError(`${name}: interrupted; not connecting`);
    // Ctrl-C does not wait for the keeper's connect (its handshake, its retries): a connection it
    // opens after all stays kept, for the next run.
    const abandon = () => new InterruptedError(`${name}: interrupted while connecting`);
    // This run's agent, for a connection the keeper must open: the one the keeper started with may be gone.
    const agentSocket = process.env.SSH_AUTH_SOCK ? { agentSocket: process.env.SSH_AUTH_SOCK } : {};
    const { conn, reused, connectMs } = (await this.request({ op: 'connect', spec, readyTimeoutMs, persistMs: this.persistMs, ...agentSocket }, { ...(runSignal ? { signal: runSignal } : {}), abandon })) as { conn: string; reused: boolean; connectMs: number };
    log?.debug({ host: name, reused, ms: connectMs }, `${name}: ${reused ? 'reusing the kept connection' : `connected in ${connectMs} ms`} (keeper ${this.socketPath})`);
    return new KeptTransport(name, spec.user ?? 'root', conn, this, runSignal, connectMs, reused);
  }

  /** Lets go of the keeper (its connections stay, for the next run). */
  end(): void {
    this.socket.end();
  }

  private onLine(line: string): void {
    const reply = JSON.parse(line) as KeeperReply;
    const p = this.pending.get(reply.id);
    if (!p) return;
    if ('chunk' in reply) p.onChunk?.(reply.chunk);
    else if (reply.ok) p.resolve(reply.value);
    else p.reject(fromWire(reply.error));
  }

  private failAll(err: Error): void {
    for (const p of [...this.pending.values()]) p.reject(err);
  }
}

function unlinkSafe(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* gone already */
  }
}

/** A host's Transport through the keeper. Closing it only lets go: the connection stays kept. */
class KeptTransport implements Transport {
  private closed = false;
  /** Held reads not yet proceeded or released: closing lets their shells end, as closing a connection does. */
  private readonly heldReads = new Set<KeptHeldRead>();

  constructor(
    readonly name: string,
    readonly loginUser: string,
    private readonly conn: string,
    private readonly keeper: KeeperClient,
    private readonly runSignal: AbortSignal | undefined,
    readonly connectMs: number,
    readonly reused: boolean,
  ) {}

  private checkOpen(): void {
    if (this.runSignal?.aborted) throw new InterruptedError(`${this.name}: interrupted; not starting new work`);
    if (this.closed) throw new ConnectionError(this.name, 'the connection is already closed');
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    this.checkOpen();
    if (options.signal?.aborted) throw new InterruptedError(`${this.name}: command interrupted before it started`);
    const stdin = options.stdin === undefined ? undefined : Buffer.from(options.stdin).toString('base64');
    return (await this.keeper.request(
      {
        op: 'exec',
        conn: this.conn,
        command,
        ...(options.become !== undefined ? { become: options.become } : {}),
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
        ...(options.readOnly ? { readOnly: true } : {}),
        ...(stdin !== undefined ? { stdin } : {}),
        ...(options.onStdout ? { stream: true } : {}),
      },
      { ...(options.signal ? { signal: options.signal } : {}), ...(options.onStdout ? { onChunk: options.onStdout } : {}) },
    )) as ExecResult;
  }

  /**
   * A LocalFile crosses the socket as its absolute path, and the keeper streams the file itself:
   * its bytes (an image of GBs) never pass through the socket, nor the keeper's memory whole.
   */
  async upload(remotePath: string, content: UploadContent, options: UploadOptions = {}): Promise<void> {
    this.checkOpen();
    const what = isLocalFile(content) ? { localPath: resolvePath(content.localPath) } : { content: Buffer.from(content).toString('base64') };
    await this.keeper.request({ op: 'upload', conn: this.conn, path: remotePath, ...what, ...(options.mode !== undefined ? { mode: options.mode } : {}), ...(options.become !== undefined ? { become: options.become } : {}), ...(options.rootOnlyDir ? { rootOnlyDir: true } : {}) });
  }

  async read(remotePath: string, options: { become?: boolean } = {}): Promise<Buffer | null> {
    this.checkOpen();
    const data = (await this.keeper.request({ op: 'read', conn: this.conn, path: remotePath, ...(options.become !== undefined ? { become: options.become } : {}) })) as string | null;
    return data === null ? null : Buffer.from(data, 'base64');
  }

  /**
   * A read without a shell on the kept connection (Transport.queryFiles): the keeper asks on an
   * SFTP session the connection keeps for such reads, so the host runs no new process at all
   * where a shell read runs `sh` and `stat`.
   * Undefined where it could not answer, and from a keeper of an older gridops: the run then reads
   * with the shell.
   */
  async queryFiles(queries: readonly FileQuery[], options: { become?: boolean; timeoutMs: number }): Promise<Map<string, FileAnswer> | undefined> {
    this.checkOpen();
    const wire = await this.keeper.request({ op: 'queryFiles', conn: this.conn, queries: [...queries], timeoutMs: options.timeoutMs, ...(options.become !== undefined ? { become: options.become } : {}) });
    return fileAnswersFromWire(wire);
  }

  /**
   * A held read in the keeper (held-read.ts): the batch then runs in the read's session on the kept
   * connection. Undefined where the keeper does not hold it (become through sudo, or a keeper
   * started by an older gridops, which answers nothing for it): the caller then uses exec.
   */
  async execHeld(script: string, options: { timeoutMs: number; become?: boolean; laterWithoutShell?: () => boolean }): Promise<HeldRead | undefined> {
    this.checkOpen();
    const become = options.become !== undefined ? { become: options.become } : {};
    const reply = (await this.keeper.request({ op: 'execHeld', conn: this.conn, script, timeoutMs: options.timeoutMs, ...become, ...(options.laterWithoutShell?.() ? { sftpLater: true, pid: process.pid } : {}) })) as KeptHeldReply | undefined;
    if (typeof reply?.held !== 'number' || !reply.result) return undefined;
    const held = new KeptHeldRead(this.name, this.conn, reply.held, reply.result, reply.waiting === true, this.keeper, () => this.heldReads.delete(held));
    // Closed while the read ran: its shell ends now, as closing would have ended it.
    if (this.closed) held.release();
    else if (held.waiting) this.heldReads.add(held);
    return held;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const held of [...this.heldReads]) held.release();
  }
}

/** A held read whose session the keeper holds; `waiting` is this run's view (the keeper runs the batch in a session of its own if the shell ended meanwhile). */
class KeptHeldRead implements HeldRead {
  private state: 'waiting' | 'used' | 'ended';

  constructor(
    private readonly host: string,
    private readonly conn: string,
    private readonly held: number,
    readonly result: ExecResult,
    waiting: boolean,
    private readonly keeper: KeeperClient,
    private readonly done: () => void,
  ) {
    this.state = waiting ? 'waiting' : 'ended';
  }

  get waiting(): boolean {
    return this.state === 'waiting';
  }

  proceed(script: string, options: { timeoutMs: number; onStdout?: (text: string) => void }): Promise<ExecResult> {
    if (this.state !== 'waiting') return Promise.reject(heldSessionUnavailable(this.host, this.state === 'ended'));
    this.state = 'used';
    this.done();
    return this.keeper.request(
      { op: 'proceed', conn: this.conn, held: this.held, script, timeoutMs: options.timeoutMs, ...(options.onStdout ? { stream: true } : {}) },
      options.onStdout ? { onChunk: options.onStdout } : {},
    ) as Promise<ExecResult>;
  }

  release(): void {
    if (this.state !== 'waiting') return;
    this.state = 'ended';
    this.done();
    this.keeper.notify({ op: 'release', held: this.held });
  }
}
