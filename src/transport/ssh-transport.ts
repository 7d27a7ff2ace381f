/**
 * The ssh2 implementation of Transport: one SSH connection per host, host keys checked against
 * known_hosts, identity files and ssh-agent, an optional jump host tunnelled through ssh2
 * (`forwardOut` passed as `sock`), sudo for non-root users, SFTP uploads made atomic by rename.
 * The connection is opened by ssh-connect-retry.ts (one attempt: ssh-handshake.ts; the keys it
 * offers: ssh-identities.ts, ssh-auth-methods.ts; the jump host: jump-connection.ts).
 */
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { Client as SshClient, ClientChannel, SFTPWrapper, Stats } from 'ssh2';
import { ConnectionError, InterruptedError, RemoteCommandError } from '../errors/index.js';
import { BecomeHandshake, BecomePassword, becomeToken, planBecome, redact } from './become.js';
import { KeptSftp } from './kept-sftp.js';
import { CommandTimeoutError, summarize } from './errors.js';
import { batchWatchdogCommand, endBatchCommand, NOT_A_GROUP_LEADER } from './batch-group.js';
import { HeldChannel, heldReadCommand, heldSentinel, type HeldRead } from './held-read.js';
import { silentLogger, type TransportLogger } from './logger.js';
import { quote } from './quote.js';
import { makeRootOnlyDir, stageInRootOnlyDirScript, type DirAttrs } from './root-only-dir.js';
import { querySftp, SftpUnanswered } from './sftp-queries.js';
import { isLocalFile, type ExecOptions, type ExecResult, type FileAnswer, type FileQuery, type Transport, type UploadContent, type UploadOptions } from './transport.js';
import { sendSignal } from './channel-signal.js';
import { closedClients, endClient } from './closed-clients.js';
import { JumpConnection } from './jump-connection.js';
import { withRemoteTimeout } from './remote-timeout.js';
import { serverAnswers } from './server-answers.js';
import { settledWithin } from './settled-within.js';
import { SFTP_NO_SUCH_FILE, sftpCall, sftpWrite } from './sftp-calls.js';
import { connectWithRetry } from './ssh-connect-retry.js';
import type { Endpoint } from './ssh-endpoint.js';
import { jumpSpecOf, type SshHostSpec } from './ssh-host-spec.js';
import { DEFAULT_READY_TIMEOUT_MS, type SshSessionOptions } from './ssh-session-options.js';

interface RawResult {
  stdout: Buffer;
  stderr: string;
  code: number | null;
  signal?: string;
}

/** Transport over one ssh2 connection. Create with `SshTransport.connect` (or through a pool). */
export class SshTransport implements Transport {
  /** The SFTP session of uploads and reads, and the one the keeper's reads without a shell keep (kept-sftp.ts says why two). */
  private readonly filesSftp = new KeptSftp(() => this.openSftp());
  private readonly keptQueries = new KeptSftp(() => this.openSftp());
  private readonly token = becomeToken();
  /** Set by close(): the connection is closed (or closing) from then on. */
  private closing: Promise<void> | undefined;
  /** Commands for the host's side of held batches (batch-group.ts) still being sent: close waits for them. */
  private readonly onHostPending = new Set<Promise<void>>();
  /** Held reads of this connection, whose batches may still run when it closes. */
  private readonly helds = new Set<HeldChannel>();

  private constructor(
    readonly name: string,
    readonly user: string,
    private readonly client: SshClient,
    private readonly opts: SshSessionOptions,
    private readonly log: TransportLogger,
    /** How long the connection took to open (ms), including retries. */
    readonly connectMs: number,
    private readonly ownedJump?: JumpConnection,
  ) {
    client.on('error', (e) => log.warn({ host: name, err: e.message }, `${name}: connection error: ${e.message}`));
  }

  get loginUser(): string {
    return this.user;
  }

  /**
   * Opens the connection. With `jump`, the target is reached through that open jump connection;
   * otherwise, if the spec names a jump host, a private jump connection is opened and closed with
   * this transport.
   */
  static async connect(spec: SshHostSpec, opts: SshSessionOptions, jump?: JumpConnection): Promise<SshTransport> {
    const log = opts.logger ?? silentLogger;
    const name = spec.name ?? spec.host;
    const readyTimeoutMs = spec.readyTimeoutMs ?? opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    const jumpSpec = jumpSpecOf(spec);
    const ep: Endpoint = {
      label: name,
      host: spec.host,
      port: spec.port ?? 22,
      user: spec.user ?? 'root',
      ...(spec.identityFiles ? { identityFiles: spec.identityFiles } : {}),
      readyTimeoutMs,
      ...(spec.hashKnownHosts !== undefined ? { hashKnownHosts: spec.hashKnownHosts } : {}),
      ...(jumpSpec ? { jump: jumpSpec } : {}),
    };
    const started = performance.now();
    let owned: JumpConnection | undefined;
    if (!jump && jumpSpec) jump = owned = await JumpConnection.connect(jumpSpec, opts);
    try {
      const via = jump;
      const client = await connectWithRetry(ep, opts, log, via ? () => via.forward(ep.host, ep.port) : undefined);
      const ms = Math.round(performance.now() - started);
      log.debug({ host: name, ms }, `${name}: connected to ${ep.user}@${ep.host}:${ep.port}${via ? ` via ${via.label}` : ''} in ${ms} ms`);
      return new SshTransport(name, ep.user, client, opts, log, ms, owned);
    } catch (e) {
      await owned?.close();
      throw e;
    }
  }

  /** Whether the connection is still up (not closed by us, not dropped by the server or the network). */
  get isOpen(): boolean {
    return this.closing === undefined && !closedClients.has(this.client);
  }

  /**
   * Whether the host still answers on this open connection within timeoutMs: one keepalive and
   * its reply (server-answers.ts), no process on the host. One that stays silent is destroyed at
   * once, not ended (an end waits for a host that does not answer), and is no longer open; so is
   * a jump connection of its own, which may be the silent part (ended politely, it would linger
   * with its keepalives stopped). An ssh2 that cannot be asked counts as answering: the
   * connection is then judged by isOpen alone.
   */
  async stillAnswers(timeoutMs: number): Promise<boolean> {
    if (!this.isOpen) return false;
    const answer = await serverAnswers(this.client, timeoutMs);
    if (answer === 'silent') {
      this.log.debug({ host: this.name, ms: timeoutMs }, `${this.name}: the connection did not answer a keepalive in ${timeoutMs} ms; dropping it`);
      this.client.destroy();
      this.ownedJump?.destroy();
    }
    return answer === 'answers' || answer === 'unknown';
  }

  private checkOpen(): void {
    if (this.opts.signal?.aborted) throw new InterruptedError(`${this.name}: interrupted; not starting new work`);
    if (this.closing !== undefined) throw new ConnectionError(this.name, 'the connection is already closed');
  }

  /**
   * Runs `open`, an ssh2 call that opens a channel, turning the error ssh2 throws at once where
   * the connection's socket is gone ("Not connected": the host or the network ended it under the
   * run, before its close reached this transport) into this host's connection error with a hint,
   * rather than a bare "Not connected" in the host's plan or result.
   */
  private openChannel(open: () => void, reject: (err: Error) => void): void {
    try {
      open();
    } catch (e) {
      reject(new ConnectionError(this.name, `the connection is gone (${(e as Error).message})`, 'the host or the network ended it during the run: check that the host is up, then rerun', { cause: e }));
    }
  }

  async execHeld(script: string, options: { timeoutMs: number; become?: boolean }): Promise<HeldRead | undefined> {
    // sudo would sit between the read and the batch (its password on the same stdin): not held.
    if (options.become && this.user !== 'root') return undefined;
    this.checkOpen();
    const sentinel = heldSentinel();
    const command = heldReadCommand(script, sentinel);
    return new Promise<HeldRead>((resolve, reject) => {
      this.openChannel(() => this.client.exec(command, (err, channel) => {
        if (err) return reject(new ConnectionError(this.name, `cannot start a command: ${err.message}`, 'the connection may have dropped; rerun', { cause: err }));
        // Listeners now, in this tick (execRaw says why).
        const held = new HeldChannel(this.name, channel, sentinel, {
          end: (pid) => {
            sendSignal(channel, 'TERM');
            channel.close();
            if (pid !== undefined) this.sendToHost(endBatchCommand(pid), 'end a held batch');
          },
          watch: (pid, seconds) => this.sendToHost(batchWatchdogCommand(pid, seconds), 'leave a watchdog for a held batch'),
        });
        this.helds.add(held);
        channel.once('close', () => this.helds.delete(held));
        held.read(script, options.timeoutMs).then(resolve, reject);
      }), reject);
    });
  }

  /**
   * Runs a short command of the connection's own on the host, without waiting for it: one that
   * ends or watches a held batch (batch-group.ts). A close waits for it to be sent, 2 s at most;
   * a connection that is gone cannot send it, which the command's failure here says in the log.
   */
  private sendToHost(command: string, what: string): void {
    if (closedClients.has(this.client)) {
      this.log.warn({ host: this.name }, `${this.name}: cannot ${what}: the connection is gone`);
      return;
    }
    const sent = new Promise<void>((resolve) => {
      try {
        this.client.exec(command, (err, channel) => {
          if (err) {
            this.log.warn({ host: this.name, err: err.message }, `${this.name}: cannot ${what}: ${err.message}`);
            return resolve();
          }
          channel.on('exit', (code: number | null) => {
            if (code === NOT_A_GROUP_LEADER) this.log.warn({ host: this.name }, `${this.name}: cannot ${what}: the session's shell leads no process group of its own (a forced command, or a login shell that does not exec), so the batch's processes cannot be told from others`);
          });
          channel.on('close', () => resolve());
          channel.resume();
          channel.stderr.resume();
          channel.end();
        });
      } catch (e) {
        this.log.warn({ host: this.name, err: (e as Error).message }, `${this.name}: cannot ${what}: ${(e as Error).message}`);
        resolve();
      }
    });
    this.onHostPending.add(sent);
    void sent.then(() => this.onHostPending.delete(sent));
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const raw = await this.execRaw(command, options);
    return { stdout: raw.stdout.toString('utf8'), stderr: raw.stderr, code: raw.code, ...(raw.signal ? { signal: raw.signal } : {}) };
  }

  private async execRaw(command: string, options: ExecOptions): Promise<RawResult> {
    this.checkOpen();
    const become = this.opts.becomePassword ?? new BecomePassword();
    const wrapped = options.readOnly ? `exec sh -c ${quote(command)}` : options.timeoutMs && options.timeoutMs > 0 ? withRemoteTimeout(command, options.timeoutMs) : command;
    const plan = planBecome(wrapped, { user: this.user, become: options.become ?? false, withPassword: become.configured, token: this.token });
    const exit: { code: number | null; signal?: string } = { code: null };
    const channel = await new Promise<ClientChannel>((resolve, reject) => {
      this.openChannel(() => this.client.exec(plan.command, (err, ch) => {
        if (err) return reject(new ConnectionError(this.name, `cannot start a command: ${err.message}`, 'the connection may have dropped; rerun', { cause: err }));
        // Listen now, not after the await: ssh2 can emit 'exit' in this very tick when the reply
        // packets arrive together (a fast command under load), and a late listener misses it.
        ch.on('exit', (c: number | null, sig?: string) => {
          exit.code = c ?? null;
          if (sig) exit.signal = sig;
        });
        resolve(ch);
      }), reject);
    });
    const shake = plan.handshake ? new BecomeHandshake(plan.handshake) : undefined;
    const stdin = options.stdin;
    return new Promise<RawResult>((resolve, reject) => {
      const out: Buffer[] = [];
      let err = '';
      const decoder = new StringDecoder('utf8');
      let done = false;
      let code: number | null = null;
      let signal: string | undefined;
      let timer: NodeJS.Timeout | undefined;
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      const kill = () => {
        // sshd delivers a "signal" request with killpg() to the session's process group (TERM, so
        // the `timeout` wrapper forwards it). sshd refuses it on root sessions ("requires privilege
        // separation"); there the wrapper's own deadline, 1 s after ours, does the killing.
        sendSignal(channel, 'TERM');
        channel.close();
      };
      const failWith = async (e: Error) => {
        if (done) return;
        done = true;
        cleanup();
        kill();
        const pw = await become.known();
        if (pw && e.message.includes(pw)) e.message = redact(e.message, pw);
        reject(e);
      };
      const onAbort = () => void failWith(new InterruptedError(`${this.name}: command interrupted (${summarize(command)})`));
      if (options.signal) {
        if (options.signal.aborted) return void failWith(new InterruptedError(`${this.name}: command interrupted before it started`));
        options.signal.addEventListener('abort', onAbort, { once: true });
      }
      if (options.timeoutMs && options.timeoutMs > 0) {
        const ms = options.timeoutMs;
        timer = setTimeout(() => void become.known().then((pw) => failWith(new CommandTimeoutError(this.name, command, ms, redact(err, pw)))), ms);
      }
      const writeStdin = () => {
        if (stdin !== undefined && stdin.length > 0) channel.write(stdin);
        channel.end();
      };
      const live = options.onStdout ? new StringDecoder('utf8') : undefined;
      channel.on('data', (d: Buffer) => {
        out.push(d);
        if (live) options.onStdout!(live.write(d));
      });
      channel.stderr.on('data', (d: Buffer) => {
        const text = decoder.write(d);
        if (!shake) {
          err += text;
          return;
        }
        const wasStarted = shake.started;
        const { newPrompts, passthrough } = shake.feed(text);
        err += passthrough;
        if (newPrompts > 0 && shake.prompts > 1) {
          void failWith(new ConnectionError(this.name, `sudo rejected the become password for ${this.user}`, 'check GRIDOPS_BECOME_PASSWORD (or the password you typed) for this user'));
          return;
        }
        if (newPrompts > 0) {
          become.get().then(
            (pw) => {
              if (done) return;
              if (!pw) return void failWith(new ConnectionError(this.name, `sudo asks ${this.user} for a password but none was given`, 'set GRIDOPS_BECOME_PASSWORD or use --ask-become-pass'));
              channel.write(`${pw}\n`);
            },
            (e: unknown) => void failWith(new ConnectionError(this.name, `cannot get the become password: ${(e as Error).message}`)),
          );
        }
        if (!wasStarted && shake.started) writeStdin();
      });
      channel.on('close', () => {
        code = exit.code;
        signal = exit.signal;
        if (done) return;
        done = true;
        cleanup();
        err += decoder.end();
        if (shake && !shake.started) {
          void become.known().then((pw) => {
            const said = redact(shake.finish().trim(), pw);
            reject(
              new ConnectionError(
                this.name,
                `become (sudo) failed for ${this.user}: ${said || `exit ${code ?? signal}`}`,
                become.configured ? 'check that the user may run sudo on this host' : 'sudo needs a password here: set GRIDOPS_BECOME_PASSWORD or use --ask-become-pass',
              ),
            );
          });
          return;
        }
        resolve({ stdout: Buffer.concat(out), stderr: err, code, ...(signal ? { signal } : {}) });
      });
      if (!shake) writeStdin();
    });
  }

  private openSftp(): Promise<SFTPWrapper> {
    return new Promise<SFTPWrapper>((resolve, reject) => {
      this.openChannel(() => this.client.sftp((err, s) => (err ? reject(new ConnectionError(this.name, `cannot open SFTP: ${err.message}`, 'check that sshd has the sftp subsystem enabled')) : resolve(s))), reject);
    });
  }

  async upload(remotePath: string, content: UploadContent, options: UploadOptions = {}): Promise<void> {
    this.checkOpen();
    const mode = options.mode ?? 0o644;
    const sftp = await this.filesSftp.get();
    const rand = randomBytes(6).toString('hex');
    const step = `upload ${remotePath}`;
    if (options.rootOnlyDir) return this.uploadToRootOnlyDir(sftp, remotePath, content, mode, options.become ?? false, rand);
    if (options.become && this.user !== 'root') {
      // The user cannot write the target: stage in /tmp (0600), then root installs it next to the
      // target and renames it into place, so the target is never half written.
      const staged = `/tmp/.gridops-upload-${rand}`;
      await sftpWrite(sftp, staged, content, { mode: 0o600, flags: 'w' }).catch((e: Error) => {
        throw new RemoteCommandError(this.name, step, null, `staging ${staged}: ${e.message}`);
      });
      const tmp = posix.join(posix.dirname(remotePath), `.${posix.basename(remotePath)}.gridops-${rand}`);
      const octal = mode.toString(8).padStart(4, '0');
      const script = `install -m ${octal} -- ${quote(staged)} ${quote(tmp)} && mv -f -T -- ${quote(tmp)} ${quote(remotePath)}; rc=$?; rm -f -- ${quote(staged)} ${quote(tmp)}; exit $rc`;
      const r = await this.execRaw(script, { become: true });
      if (r.code !== 0) throw new RemoteCommandError(this.name, step, r.code, r.stderr);
      return;
    }
    const tmp = posix.join(posix.dirname(remotePath), `.${posix.basename(remotePath)}.gridops-${rand}`);
    try {
      await sftpWrite(sftp, tmp, content, { mode, flags: 'w' });
      await sftpCall<void>((cb) => sftp.chmod(tmp, mode, cb)); // writeFile's mode is filtered by the server's umask
      await sftpCall<void>((cb) => sftp.ext_openssh_rename(tmp, remotePath, cb)).catch(async () => {
        const r = await this.execRaw(`mv -f -T -- ${quote(tmp)} ${quote(remotePath)}`, {});
        if (r.code !== 0) throw new Error(r.stderr.trim() || `mv exit ${r.code}`);
      });
    } catch (e) {
      await sftpCall<void>((cb) => sftp.unlink(tmp, cb)).catch(() => undefined);
      throw new RemoteCommandError(this.name, step, null, (e as Error).message);
    }
  }

  /**
   * Transport.upload with `rootOnlyDir`. As root: the directory made and checked over SFTP (lstat),
   * whatever is at the name removed (unlink never follows a symlink), and the file made anew there
   * (O_EXCL). Through sudo, where SFTP is the login user's: the file goes to the user's own temp
   * file in /tmp first, and root copies it into the checked directory; the sha256 its caller then
   * checks is of root's copy, which the user can no longer change.
   */
  private async uploadToRootOnlyDir(sftp: SFTPWrapper, remotePath: string, content: UploadContent, mode: number, become: boolean, rand: string): Promise<void> {
    const step = `upload ${remotePath}`;
    if (become && this.user !== 'root') {
      const staged = `/tmp/.gridops-upload-${rand}`;
      await sftpWrite(sftp, staged, content, { mode: 0o600, flags: 'wx' }).catch((e: Error) => {
        throw new RemoteCommandError(this.name, step, null, `staging ${staged}: ${e.message}`);
      });
      const fill = `install -m ${mode.toString(8).padStart(4, '0')} -- ${quote(staged)} "$f"`;
      const r = await this.execRaw(`${stageInRootOnlyDirScript(remotePath, fill)}
rc=$?; rm -f -- ${quote(staged)}; exit $rc`, { become: true });
      if (r.code !== 0) throw new RemoteCommandError(this.name, step, r.code, r.stderr);
      return;
    }
    const absent = (e: { code?: unknown }) => e.code === SFTP_NO_SUCH_FILE;
    const attrs = (call: (cb: (err: Error | undefined, st: Stats) => void) => void): Promise<DirAttrs | null> =>
      sftpCall<Stats>(call).then(
        (st) => ({ mode: st.mode, uid: st.uid }),
        (e: Error & { code?: unknown }) => (absent(e) ? null : Promise.reject(e)),
      );
    try {
      await makeRootOnlyDir(posix.dirname(remotePath), {
        lstat: (p) => attrs((cb) => sftp.lstat(p, cb)),
        stat: (p) => attrs((cb) => sftp.stat(p, cb)),
        readlink: (p) => sftpCall<string>((cb) => sftp.readlink(p, cb)),
        mkdir: (p, m) => sftpCall<void>((cb) => sftp.mkdir(p, { mode: m }, cb)),
      });
      await sftpCall<void>((cb) => sftp.unlink(remotePath, cb)).catch((e: Error & { code?: unknown }) => (absent(e) ? undefined : Promise.reject(e)));
      await sftpWrite(sftp, remotePath, content, { mode, flags: 'wx' });
      await sftpCall<void>((cb) => sftp.chmod(remotePath, mode, cb)); // writeFile's mode is filtered by the server's umask
    } catch (e) {
      throw new RemoteCommandError(this.name, step, null, (e as Error).message);
    }
  }

  /**
   * Transport.queryFiles on an SFTP session of its own (sftp-queries.ts), ended once answered, so
   * a host read this way holds no session more than a shell read would; with `keepSession` (the
   * keeper's), on one the connection keeps for the next query (queryKeptSftp). Undefined, for the caller
   * to read with the shell, where become needs sudo, where the server has no sftp subsystem, and
   * where the session did not answer within `timeoutMs` or stopped answering.
   */
  async queryFiles(queries: readonly FileQuery[], options: { become?: boolean; timeoutMs: number; keepSession?: boolean }): Promise<Map<string, FileAnswer> | undefined> {
    if (options.become && this.user !== 'root') return undefined;
    this.checkOpen();
    if (options.keepSession) return this.queryKeptSftp(queries, options.timeoutMs);
    let session: SFTPWrapper | undefined;
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => ((timedOut = true), resolve(undefined)), options.timeoutMs);
    });
    const query = (async () => {
      session = await this.openSftp().catch(() => undefined);
      if (!session) return undefined;
      if (timedOut) return void session.end();
      // A protocol error after the session started is emitted here: without a listener it would end the process.
      session.on('error', () => undefined);
      return await querySftp(session, queries);
    })().catch((err: unknown) => {
      if (err instanceof SftpUnanswered) return undefined;
      throw err;
    });
    try {
      return await Promise.race([query, timeout]);
    } finally {
      clearTimeout(timer);
      // A session still opening when the time ran out ends as soon as it opens (above).
      session?.end();
    }
  }

  /**
   * Opens the SFTP session queryKeptSftp asks on, if the connection has none, without waiting for
   * it: the keeper does this once a run whose reads went through the shell has let go of it, so
   * that the next run's first read without a shell does not wait for the session (a channel,
   * the subsystem and its process on the host, the SFTP version: at 50 hosts on this 2-core
   * machine, a kept no-change apply right after a first apply took 1.34 s, and 0.54 to 0.63 s
   * with the sessions open). Nothing where queryFiles would not use it (become as a user
   * other than root). A session that fails to open is forgotten, and the next query opens one.
   */
  openKeptQueries(options: { become?: boolean } = {}): void {
    if (!this.isOpen || (options.become && this.user !== 'root')) return;
    this.keptQueries.get().catch(() => undefined);
  }

  /**
   * queryFiles on an SFTP session the connection keeps for the next query (the keeper's
   * connections, `--persist`): a run then costs the host no session, no shell and no process, only
   * the requests. A session that does not answer in time is dropped, and the caller reads with the
   * shell; one that ended under the query (the server ended it) is replaced and asked once more,
   * within the same time. A refusal from a live session (a status the read cannot use) keeps it.
   */
  private async queryKeptSftp(queries: readonly FileQuery[], timeoutMs: number): Promise<Map<string, FileAnswer> | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        const session = this.keptQueries.get();
        let opened = false;
        const query = session.then((s) => ((opened = true), querySftp(s, queries))).catch((err: unknown) => {
          if (err instanceof SftpUnanswered || err instanceof ConnectionError) return undefined;
          throw err;
        });
        // An answer that comes after the time ran out is nobody's: its failure must not go unhandled.
        query.catch(() => undefined);
        const answers = await Promise.race([query, timeout]);
        if (answers === 'timeout') {
          this.keptQueries.drop(session);
          return undefined;
        }
        // Asked once more only where a session opened and then ended: a server that opens none (no sftp subsystem) is asked once.
        if (answers || !opened || this.keptQueries.holds(session)) return answers;
      }
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  async read(remotePath: string, options: { become?: boolean } = {}): Promise<Buffer | null> {
    this.checkOpen();
    if (options.become && this.user !== 'root') {
      const missing = `gridops-missing-${this.token}`;
      const r = await this.execRaw(`if [ -e ${quote(remotePath)} ] || [ -L ${quote(remotePath)} ]; then exec cat -- ${quote(remotePath)}; else echo ${missing} >&2; exit 3; fi`, { become: true });
      if (r.code === 3 && r.stderr.includes(missing)) return null;
      if (r.code !== 0) throw new RemoteCommandError(this.name, `read ${remotePath}`, r.code, r.stderr);
      return r.stdout;
    }
    const sftp = await this.filesSftp.get();
    try {
      return await sftpCall<Buffer>((cb) => sftp.readFile(remotePath, cb));
    } catch (e) {
      if ((e as { code?: number }).code === 2) return null; // SSH_FX_NO_SUCH_FILE
      throw new RemoteCommandError(this.name, `read ${remotePath}`, null, (e as Error).message);
    }
  }

  /** Ends the connection; a second call waits for the first one's close. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      // A batch still running when its connection closes is left to its watchdog, not to chance.
      for (const held of this.helds) held.leaveWatchdog();
      if (this.onHostPending.size > 0) await settledWithin([...this.onHostPending], 2000);
      await endClient(this.client);
      await this.ownedJump?.close();
    })();
    return this.closing;
  }
}
