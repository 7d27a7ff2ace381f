/**
 * The connection keeper: a background process that holds SSH connections between runs, so a
 * repeated plan or apply pays no handshake. Every connection is opened by SshTransport with the
 * known_hosts files the keeper was started for, the user's and the global ones (host keys verified
 * once per connection, exactly as a run verifies them, global `@revoked` and `@cert-authority` lines
 * included; unknown keys are refused, never recorded, so no file is ever written). It listens on a unix socket
 * of mode 0600 in a directory of mode 0700 (keeper-dir.ts), and ends `idleMs` after the last run let
 * go of it. It takes new runs for `maxMs` (no connection it holds serves a run that connects later
 * than that after opening it); then it removes its socket, so the next run starts a keeper of its
 * own, and lets the runs still attached finish (a host's batch is never cut by the keeper's end),
 * for `drainMs` at most.
 */
import { chmodSync, unlinkSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { dirname, isAbsolute } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectionError, InterruptedError } from '../errors/index.js';
import { isProcessAlive } from '../process-alive.js';
import { BecomePassword } from './become.js';
import { KnownHosts, type KnownHostsText } from './known-hosts.js';
import { ensurePrivateDir, socketIdentity } from './keeper-dir.js';
import { connectionKey, fileAnswersToWire, KEEPER_MAX_REPLY_CHARS, KEEPER_MAX_REQUEST_CHARS, parseKeeperRequest, requestIdOf, toWire, type KeeperReply, type KeeperRequest, type KeptHeldReply } from './keeper-protocol.js';
import { LineSplitter } from './line-splitter.js';
import type { SshHostSpec } from './ssh-host-spec.js';
import type { SshSessionOptions } from './ssh-session-options.js';
import { SshTransport } from './ssh-transport.js';
import type { HeldRead } from './transport.js';

export interface KeeperOptions {
  socket: string;
  /**
   * The known_hosts files (the user's, then the global ones) as the run that starts the keeper read
   * them (the socket's name is made of them): host keys are verified against exactly these texts,
   * never the files read again later, which may have changed in between.
   */
  knownHosts: readonly KnownHostsText[];
  /** How long to stay after the last request; each run's `connect` sets it again (`--persist 0s` ends the keeper after that run). */
  idleMs: number;
  /** How long it takes new runs (and the most a connection it holds serves a new `connect`). */
  maxMs: number;
  /** How long, after it stopped taking new runs, the runs still attached may keep using it; then it ends. Default KEEPER_DRAIN_MS. */
  drainMs?: number;
}

/**
 * The most a run attached before the keeper stopped taking new runs may go on using it after:
 * a run is bounded by its own timeouts (connect, batch), which a whole apply of a large grid stays
 * well within; a keeper still serving then ends, and its runs lose their connections.
 */
export const KEEPER_DRAIN_MS = 30 * 60_000;

/** How long the keeper waits for a run's process to exit before it readies that run's later reads anyway. */
const READER_EXIT_WAIT_MS = 10_000;

/** How long a new keeper waits for the run that started it to attach, whatever its idle time. */
const START_GRACE_MS = 10_000;

interface Held {
  transport: Promise<SshTransport>;
  since: number;
  /** What a connect for this host is settling (the connection opening, or the keepalive before its reuse), shared by the connects that come meanwhile. */
  settling?: Promise<Connected>;
}

/** A connect's answer: the connection's key, whether it was kept from an earlier run, and how long opening it took. */
interface Connected {
  conn: string;
  reused: boolean;
  connectMs: number;
}

/**
 * Runs the keeper until no run has used it for `idleMs`, or, once it stopped taking new runs at
 * `maxMs`, until its last run let go of it (`drainMs` at most); resolves when it has stopped.
 */
export async function runKeeper(options: KeeperOptions): Promise<void> {
  ensurePrivateDir(dirname(options.socket));
  const knownHosts = KnownHosts.fromTexts(options.knownHosts);
  // No become password ever reaches the keeper: passwordless sudo works, a password prompt fails as without one.
  // The agent is the asking run's, never the keeper's own environment's (keeper-protocol.ts, `connect`).
  const session = (readyTimeoutMs: number, agentSocket: string | undefined): SshSessionOptions => ({ knownHosts, acceptNewHostKeys: false, readyTimeoutMs, becomePassword: new BecomePassword(undefined, {}), agentSocket: agentSocket || null });
  const held = new Map<string, Held>();
  const clients = new Set<Socket>();
  let pending = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  let stopping = false;
  let admitting = true;
  let idleMs = options.idleMs;
  let stopped!: () => void;
  const ended = new Promise<void>((resolve) => (stopped = resolve));
  // The socket this keeper listens on: a keeper started after this one stopped taking runs listens at the same name.
  let ownSocket: { dev: number; ino: number } | undefined;
  const removeOwnSocket = () => {
    const now = socketIdentity(options.socket);
    if (!ownSocket || now?.dev !== ownSocket.dev || now.ino !== ownSocket.ino) return;
    ownSocket = undefined;
    try {
      unlinkSync(options.socket);
    } catch {
      /* already gone */
    }
  };

  const server = createServer((socket) => serve(socket));
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearTimeout(admissions);
    clearTimeout(lifetime);
    if (idleTimer) clearTimeout(idleTimer);
    removeOwnSocket();
    server.close();
    for (const c of clients) c.destroy();
    await Promise.allSettled([...held.values()].map(async (h) => (await h.transport).close()));
    held.clear();
    stopped();
  };
  const armIdle = (ms = idleMs) => {
    if (idleTimer) clearTimeout(idleTimer);
    // Idle means no run attached and nothing running (ControlPersist counts from the last client's exit);
    // past its admissions no run can come back, so the keeper ends as soon as it is idle.
    if (pending === 0 && clients.size === 0) idleTimer = setTimeout(() => void stop(), admitting ? ms : 0);
  };
  // Near the end of its life the keeper takes no new run (the socket goes first, so the next run
  // starts a keeper of its own at once), and lets the attached ones finish: a fixed end used to
  // cut a run that attached a moment before it, mid-batch.
  const stopAdmitting = () => {
    admitting = false;
    removeOwnSocket();
    server.close();
    armIdle();
  };
  const admissions = setTimeout(stopAdmitting, Math.max(0, options.maxMs));
  const lifetime = setTimeout(() => void stop(), Math.max(0, options.maxMs) + Math.max(0, options.drainMs ?? KEEPER_DRAIN_MS));

  /**
   * Opens (and verifies) a new connection for `conn` in place of whatever was held there, logging
   * in with the run's `agentSocket`; connects for the same host meanwhile share its outcome.
   */
  const open = (conn: string, spec: SshHostSpec, readyTimeoutMs: number, agentSocket: string | undefined): Promise<Connected> => {
    const transport = SshTransport.connect(spec, session(readyTimeoutMs, agentSocket));
    const entry: Held = { transport, since: Date.now() };
    held.set(conn, entry);
    return settle(
      entry,
      transport.then(
        (t) => ({ conn, reused: false, connectMs: t.connectMs }),
        (err: unknown) => {
          if (held.get(conn) === entry) held.delete(conn);
          throw err;
        },
      ),
    );
  };

  /**
   * The kept connection `h` if it still answers one keepalive within the run's connect timeout and
   * is younger than maxMs, else a new one in its place. The keepalive is what tells a host that
   * went away without a word since the last run (its connection still looks open until ssh2's own
   * keepalives give up, 45 to 60 s after its last reply) from a live one: without it, such a host
   * passed for reached and failed the run's first read. A silent one is dropped, and the host is
   * connected to afresh, or reported unreachable as in a run without the keeper.
   */
  const reuseOrReopen = async (conn: string, h: Held, spec: SshHostSpec, readyTimeoutMs: number, agentSocket: string | undefined): Promise<Connected> => {
    const t = await h.transport.catch(() => undefined);
    const young = Date.now() - h.since < options.maxMs;
    if (t && young && (await t.stillAnswers(readyTimeoutMs))) return { conn, reused: true, connectMs: 0 };
    // Not awaited: the new connection takes its place below, in this same tick.
    void t?.close();
    // Stopped meanwhile (held cleared): a connection opened now would outlive the keeper's end.
    if (stopping) throw new InterruptedError('the connection keeper is stopping');
    return held.get(conn) === h ? open(conn, spec, readyTimeoutMs, agentSocket) : connect(spec, readyTimeoutMs, agentSocket);
  };

  /** Keeps `outcome` on `entry` while it settles, for the connects that come meanwhile; the next run's connect asks afresh. */
  const settle = (entry: Held, outcome: Promise<Connected>): Promise<Connected> => {
    entry.settling = outcome;
    void outcome
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        if (entry.settling === outcome) entry.settling = undefined;
      });
    return outcome;
  };

  /**
   * The connection for `spec`: the kept one where it still answers (reuseOrReopen), else a new
   * one. Runs asking for the same host at once share one answer: the keepalive, the new
   * connection, or its failure (each would otherwise replace the connection another had just
   * opened, or try a dead host once more).
   */
  const connect = (spec: SshHostSpec, readyTimeoutMs: number, agentSocket: string | undefined): Promise<Connected> => {
    const conn = connectionKey(spec);
    const h = held.get(conn);
    if (!h) return open(conn, spec, readyTimeoutMs, agentSocket);
    return h.settling ?? settle(h, reuseOrReopen(conn, h, spec, readyTimeoutMs, agentSocket));
  };

  // Connections a run read through the shell that a later run could read without one (its
  // execHeld's `sftpLater`), with that read's become; and the processes of those runs.
  const laterReads = new Map<string, boolean | undefined>();
  const laterReaders = new Set<number>();
  /**
   * Once no run is attached and the runs that asked have exited, opens on each of laterReads the
   * SFTP session the next run's read without a shell asks on (SshTransport.openKeptQueries), so that
   * read does not wait for one. Not while a run is attached (a session more on a connection it still
   * uses could reach sshd's MaxSessions), nor for a keeper about to end (the last run asked for
   * `--persist 0s`). Not before the runs' processes are gone: opened as a run let go of its socket,
   * the sessions (the hosts' `sftp-server`, this process's work) slowed that run's own exit, by
   * 0.7 s at 50 lab hosts and 7 s at 500 on this 2-core machine, whose hosts share its CPUs.
   */
  const readyLaterReads = async () => {
    for (const end = Date.now() + READER_EXIT_WAIT_MS; [...laterReaders].some(isProcessAlive) && Date.now() < end; ) await sleep(20);
    if (clients.size > 0 || stopping || idleMs === 0) return;
    laterReaders.clear();
    for (const [conn, become] of laterReads) void held.get(conn)?.transport.then((t) => t.openKeptQueries({ become }), () => undefined);
    laterReads.clear();
  };

  const transportOf = async (conn: string, name: string): Promise<SshTransport> => {
    const h = held.get(conn);
    if (!h) throw new ConnectionError(name, 'the kept connection is gone', 'rerun');
    return h.transport;
  };

  function serve(socket: Socket): void {
    clients.add(socket);
    if (idleTimer) clearTimeout(idleTimer);
    const aborts = new Map<number, AbortController>();
    // This run's held reads still waiting for their batch, by the id of their execHeld request.
    const heldReads = new Map<number, { read: HeldRead; become?: boolean }>();
    const send = (reply: KeeperReply) => {
      if (socket.destroyed) return;
      const line = JSON.stringify(reply);
      // An answer past the client's bound would end its socket, and every request of the run with it: only this one fails.
      if (line.length > KEEPER_MAX_REPLY_CHARS) return send({ id: reply.id, ok: false, error: toWire(new Error(`the answer is over ${KEEPER_MAX_REPLY_CHARS / 2 ** 20} MiB, more than the connection keeper passes on; run without --persist`)) });
      socket.write(`${line}\n`);
    };
    const lines = new LineSplitter(
      KEEPER_MAX_REQUEST_CHARS,
      (line) => {
        if (socket.destroyed) return;
        const req = parseKeeperRequest(line);
        // Not a request (not JSON, or not of the protocol's shapes): only the run that sent it is let go.
        if (!req) return void socket.destroy();
        handle(req);
      },
      (head) => {
        if (socket.destroyed) return;
        // Answered now, while the rest of it still comes (and is dropped): held, it would fill this process.
        const id = requestIdOf(head);
        if (id === undefined) return void socket.destroy();
        send({ id, ok: false, error: toWire(new Error(`a request of over ${KEEPER_MAX_REQUEST_CHARS / 2 ** 20} MiB was refused by the connection keeper; run without --persist`)) });
      },
    );
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => lines.push(data));
    socket.on('close', () => {
      clients.delete(socket);
      for (const a of aborts.values()) a.abort();
      // A run that went away planned nothing more: its waiting shells end, the connections stay.
      for (const h of heldReads.values()) h.read.release();
      heldReads.clear();
      if (clients.size === 0 && laterReads.size > 0) void readyLaterReads();
      armIdle();
    });
    socket.on('error', () => socket.destroy());

    function handle(req: KeeperRequest): void {
      if (req.op === 'cancel') {
        aborts.get(req.target)?.abort();
        return;
      }
      if (req.op === 'release') {
        heldReads.get(req.held)?.read.release();
        heldReads.delete(req.held);
        return;
      }
      pending++;
      if (idleTimer) clearTimeout(idleTimer);
      const abort = new AbortController();
      aborts.set(req.id, abort);
      answer(req, abort.signal).then(
        (value) => send({ id: req.id, ok: true, value }),
        (err: unknown) => send({ id: req.id, ok: false, error: toWire(err) }),
      ).finally(() => {
        aborts.delete(req.id);
        pending--;
        armIdle();
      });
    }

    async function answer(req: Exclude<KeeperRequest, { op: 'cancel' | 'release' }>, signal: AbortSignal): Promise<unknown> {
      if (stopping) throw new InterruptedError('the connection keeper is stopping');
      switch (req.op) {
        case 'connect':
          idleMs = Math.min(Math.max(0, req.persistMs), options.maxMs);
          return connect(req.spec, req.readyTimeoutMs, req.agentSocket);
        case 'exec': {
          const t = await transportOf(req.conn, req.conn);
          const r = await t.exec(req.command, {
            ...(req.become !== undefined ? { become: req.become } : {}),
            ...(req.timeoutMs !== undefined ? { timeoutMs: req.timeoutMs } : {}),
            ...(req.readOnly ? { readOnly: true } : {}),
            ...(req.stdin !== undefined ? { stdin: Buffer.from(req.stdin, 'base64') } : {}),
            ...(req.stream ? { onStdout: (chunk: string) => send({ id: req.id, chunk }) } : {}),
            signal,
          });
          return r;
        }
        case 'upload': {
          const uploadOptions = {
            ...(req.mode !== undefined ? { mode: req.mode } : {}),
            ...(req.become !== undefined ? { become: req.become } : {}),
            ...(req.rootOnlyDir ? { rootOnlyDir: true } : {}),
          };
          if (req.localPath !== undefined) {
            // A file named by its path, streamed from disk (the sandbox's image, GBs: its bytes never
            // cross the socket). Reading a path a run names is no more than that run could do: the
            // keeper runs as the run's user (the run starts it; its socket is the user's alone,
            // keeper-dir.ts), so it reads nothing that user cannot. Relative is refused: the
            // keeper's working directory is the first run's, not this one's (the client sends it absolute).
            if (!isAbsolute(req.localPath)) throw new Error(`upload ${req.path}: ${JSON.stringify(req.localPath)} is not an absolute path`);
            const t = await transportOf(req.conn, req.conn);
            await t.upload(req.path, { localPath: req.localPath }, uploadOptions);
            return null;
          }
          const t = await transportOf(req.conn, req.conn);
          // Small content in the request itself: wiped once written, not left to the collector.
          const content = Buffer.from(req.content ?? '', 'base64');
          try {
            await t.upload(req.path, content, uploadOptions);
          } finally {
            content.fill(0);
          }
          return null;
        }
        case 'read': {
          const t = await transportOf(req.conn, req.conn);
          const data = await t.read(req.path, req.become !== undefined ? { become: req.become } : {});
          return data === null ? null : data.toString('base64');
        }
        case 'queryFiles': {
          const t = await transportOf(req.conn, req.conn);
          return fileAnswersToWire(await t.queryFiles(req.queries, { timeoutMs: req.timeoutMs, keepSession: true, ...(req.become !== undefined ? { become: req.become } : {}) }));
        }
        case 'execHeld': {
          const t = await transportOf(req.conn, req.conn);
          const become = req.become !== undefined ? { become: req.become } : {};
          if (req.sftpLater) laterReads.set(req.conn, req.become);
          if (req.sftpLater && req.pid !== undefined) laterReaders.add(req.pid);
          const read = await t.execHeld(req.script, { timeoutMs: req.timeoutMs, ...become });
          if (!read) return { held: null } satisfies KeptHeldReply;
          // The run went away while its read ran: nothing will proceed or release it, so it ends now.
          if (signal.aborted) {
            read.release();
            return { held: null } satisfies KeptHeldReply;
          }
          if (read.waiting) heldReads.set(req.id, { read, ...become });
          return { held: req.id, result: read.result, waiting: read.waiting } satisfies KeptHeldReply;
        }
        case 'proceed': {
          const held = heldReads.get(req.held);
          heldReads.delete(req.held);
          if (!held) throw new ConnectionError(req.conn, 'the held read is gone (released, or its run let go of the keeper)', 'rerun');
          const onStdout = req.stream ? { onStdout: (chunk: string) => send({ id: req.id, chunk }) } : {};
          if (held.read.waiting) return held.read.proceed(req.script, { timeoutMs: req.timeoutMs, ...onStdout });
          // Its shell ended while it waited: the batch gets a session of its own, as the gate gives it
          // when a held read is no longer waiting (the run only learns of that here), and like the
          // gate's, with no abort signal: a run that goes away lets a running batch finish or time out.
          const t = await transportOf(req.conn, req.conn);
          return t.exec('sh -s', { ...(held.become !== undefined ? { become: held.become } : {}), stdin: req.script, timeoutMs: req.timeoutMs, ...onStdout });
        }
      }
    }
  }

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const mask = process.umask(0o177);
      server.listen(options.socket, () => {
        process.umask(mask);
        resolve();
      });
    });
  } catch (err) {
    // Nothing to serve: the timers must not hold the process.
    clearTimeout(admissions);
    clearTimeout(lifetime);
    throw err;
  }
  ownSocket = socketIdentity(options.socket);
  chmodSync(options.socket, 0o600);
  armIdle(Math.max(idleMs, START_GRACE_MS));
  await ended;
}
