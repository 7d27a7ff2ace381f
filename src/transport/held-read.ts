/**
 * A read whose shell stays on the host after it, waiting for what is planned from it. An apply
 * reads every host, plans, then changes the hosts that need it: with a read of its own and a
 * batch of its own, each such host paid two sessions (sshd's fork, the login shell, the channel's
 * round trips). Held, the batch runs in the read's session: its shell waits on stdin, and the
 * apply sends the batch's script, or ends stdin when the host needs nothing. A lab host's CPU for
 * the bench's first run: 4 to 5 ms fewer of about 25 for read and batch.
 *
 * The read itself runs in the shell, with stdin from /dev/null (a probe cannot eat the batch),
 * then a line with a random sentinel, the read's exit status and the shell's pid ends its output,
 * whatever became of it. The batch then runs in that same shell (`.` of the rest of stdin): no
 * new process, where a new `sh -s` under the remote `timeout` cost the host two execs and a fork.
 * The shell leads the session's process group, which batch-group.ts ends past the deadline or
 * after the client is gone, as `timeout` did. The batch inherits what the read left, so a held
 * read must leave the shell as it found it (the planner's read gives LC_ALL back), and a batch
 * sets every variable it uses. Not a subshell: that was a fork per host on every apply.
 */
import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import type { ClientChannel } from 'ssh2';
import { ConnectionError } from '../errors/index.js';
import { WATCHDOG_AFTER_MS } from './batch-group.js';
import { CommandTimeoutError } from './errors.js';
import { quote } from './quote.js';
import type { ExecResult, HeldRead } from './transport.js';

export type { HeldRead };

/** The remote command of a held read of `script`, whose stdout ends with `sentinel STATUS PID` and stderr with `sentinel`. */
export function heldReadCommand(script: string, sentinel: string): string {
  const body = [
    `{ ${script}`,
    '} < /dev/null',
    // On a line of its own even when the read's output does not end with a newline (the client drops that newline).
    // On stderr too: sshd relays the two pipes apart, so the read's stderr may come after its stdout's end.
    `_gh=$?; printf '\\n%s\\n' '${sentinel}' >&2; printf '\\n%s %s %s\\n' '${sentinel}' "$_gh" "$$"`,
    // `run`, then the batch as the rest of stdin (read takes one line, a byte at a time, so what
    // follows is left for the batch). End of input or anything else: nothing to do.
    'IFS= read -r _gh || exit 0',
    '[ "$_gh" = run ] || exit 0',
    'unset _gh',
    // sshd's stdin is a pipe on Linux, which `.` reads on from where `read` stopped; where it is
    // not (a socket cannot be opened by name), a new shell reads it, in the same process. Either
    // reads the batch as the one brace group the gate sends (engine/whole-or-nothing.ts), parsed
    // whole before any of it runs: a stream cut short runs none of it, not its half-received last line.
    'if [ -p /dev/stdin ]; then . /dev/stdin; else exec sh -s; fi',
  ].join('\n');
  return `exec sh -c ${quote(body)}`;
}

/** A fresh random sentinel: the read's own output cannot end it early without knowing it. */
export function heldSentinel(): string {
  return `@@gridops-held-${randomBytes(8).toString('hex')}@@`;
}

/** Why a held read cannot proceed: its shell ended, or a batch already used it. */
export function heldSessionUnavailable(host: string, ended: boolean): ConnectionError {
  return new ConnectionError(host, `the read's session ${ended ? 'ended' : 'was already used'} before the changes could run`, 'the connection may have dropped; rerun');
}

/** The batch's remote deadline in seconds: 1 s after the client's own, as withRemoteTimeout gives it. */
export function remoteSeconds(timeoutMs: number): number {
  return Math.ceil(timeoutMs / 1000) + 1;
}

/** What a held read asks of its connection on the host's side (batch-group.ts). */
export interface HeldHost {
  /** Past the deadline: end the channel, and the batch's process group `pid` when the read gave it. */
  end(pid: number | undefined): void;
  /** The batch still runs after WATCHDOG_AFTER_MS: leave a watchdog for group `pid`, `seconds` from its deadline. */
  watch(pid: number, seconds: number): void;
}

/**
 * The client's side of a held read over one ssh2 channel: the read's output until the sentinel
 * line (resolved by `read`), then the batch's output until the channel closes.
 */
export class HeldChannel implements HeldRead {
  result: ExecResult = { stdout: '', stderr: '', code: null };
  private out = '';
  private err = '';
  /** How much of `out` was searched for the sentinel. */
  private scanned = 0;
  /** How much of `err` was searched for the sentinel. */
  private errScanned = 0;
  /** The read's stdout and status, once its sentinel line came. */
  private readOut?: { stdout: string; code: number | null };
  /** The read's stderr, once its sentinel line came. */
  private readErr?: string;
  private readonly outDecoder = new StringDecoder('utf8');
  private readonly errDecoder = new StringDecoder('utf8');
  private phase: 'reading' | 'waiting' | 'proceeding' | 'ended' = 'reading';
  private exit: { code: number | null; signal?: string } = { code: null };
  private settleRead?: { resolve: (held: HeldChannel) => void; reject: (e: Error) => void };
  private settleBatch?: { resolve: (r: ExecResult) => void; reject: (e: Error) => void };
  private live?: (text: string) => void;
  private timer: NodeJS.Timeout | undefined;
  private watchdogTimer: NodeJS.Timeout | undefined;
  /** The read's shell, which leads the batch's process group (from the sentinel's line). */
  private shellPid: number | undefined;
  /** When the batch's remote deadline passes (ms since the epoch), while it runs. */
  private remoteDeadline: number | undefined;

  constructor(
    private readonly host: string,
    private readonly channel: ClientChannel,
    private readonly sentinel: string,
    private readonly onHost: HeldHost,
  ) {
    channel.on('exit', (code: number | null, signal?: string) => {
      this.exit = { code: code ?? null, ...(signal ? { signal } : {}) };
    });
    channel.on('data', (d: Buffer) => this.onStdout(this.outDecoder.write(d)));
    channel.stderr.on('data', (d: Buffer) => this.onStderr(this.errDecoder.write(d)));
    channel.on('close', () => this.onClose());
  }

  get waiting(): boolean {
    return this.phase === 'waiting';
  }

  /** Resolves with this once the read's output is complete (or its shell ended); rejects on `timeoutMs`. */
  read(command: string, timeoutMs: number): Promise<HeldChannel> {
    return new Promise((resolve, reject) => {
      this.settleRead = { resolve, reject };
      this.timer = setTimeout(() => this.fail(new CommandTimeoutError(this.host, command, timeoutMs, this.err)), timeoutMs);
    });
  }

  proceed(script: string, options: { timeoutMs: number; onStdout?: (text: string) => void }): Promise<ExecResult> {
    if (this.phase !== 'waiting') return Promise.reject(heldSessionUnavailable(this.host, this.phase === 'ended'));
    this.phase = 'proceeding';
    this.err = '';
    if (options.onStdout) this.live = options.onStdout;
    // Anything the shell printed while it waited belongs to the batch's output (nothing, normally).
    if (this.out && this.live) this.live(this.out);
    return new Promise((resolve, reject) => {
      this.settleBatch = { resolve, reject };
      this.timer = setTimeout(() => this.fail(new CommandTimeoutError(this.host, script, options.timeoutMs, this.err)), options.timeoutMs);
      // The remote deadline counts from now, as the client's does.
      this.remoteDeadline = Date.now() + remoteSeconds(options.timeoutMs) * 1000;
      if (this.shellPid !== undefined) this.watchdogTimer = setTimeout(() => this.leaveWatchdog(), WATCHDOG_AFTER_MS);
      // One write: every write is a packet, and a syscall that runs the host's side of the lab's veth.
      this.channel.end(`run\n${script}`);
    });
  }

  /**
   * A batch still running gets its watchdog on the host now (batch-group.ts): WATCHDOG_AFTER_MS
   * after it started, or when its connection is about to close under it (a keeper that stops, a
   * run that ends). Once per batch.
   */
  leaveWatchdog(): void {
    const pid = this.shellPid;
    if (this.phase !== 'proceeding' || pid === undefined || this.remoteDeadline === undefined) return;
    if (this.watchdogTimer) clearTimeout(this.watchdogTimer);
    this.watchdogTimer = undefined;
    const seconds = Math.max(1, Math.ceil((this.remoteDeadline - Date.now()) / 1000));
    this.remoteDeadline = undefined;
    this.onHost.watch(pid, seconds);
  }

  release(): void {
    if (this.phase !== 'waiting') return;
    this.phase = 'ended';
    this.channel.end();
  }

  private onStdout(text: string): void {
    this.out += text;
    if (this.phase === 'proceeding') {
      this.live?.(text);
      return;
    }
    if (this.phase !== 'reading' || this.readOut) return;
    // Searched from where the last chunk could have held the start of the sentinel's line; the
    // newline before it is the held command's own (heldReadCommand), not the read's.
    const from = Math.max(0, this.scanned - this.sentinel.length - 2);
    this.scanned = this.out.length;
    const found = this.out.indexOf(`\n${this.sentinel} `, from);
    if (found < 0) return;
    const end = this.out.indexOf('\n', found + 1);
    if (end < 0) {
      // The sentinel's line is not complete yet: look again from its start.
      this.scanned = found;
      return;
    }
    const [status, pid] = this.out
      .slice(found + 1 + this.sentinel.length + 1, end)
      .split(' ')
      .map((field) => Number(field));
    if (Number.isSafeInteger(pid) && pid > 1) this.shellPid = pid;
    this.readOut = { stdout: this.out.slice(0, found), code: Number.isInteger(status) ? status : null };
    this.out = this.out.slice(end + 1);
    this.finishRead();
  }

  private onStderr(text: string): void {
    this.err += text;
    if (this.phase !== 'reading' || this.readErr !== undefined) return;
    const line = `\n${this.sentinel}\n`;
    const found = this.err.indexOf(line, Math.max(0, this.errScanned - line.length));
    if (found < 0) {
      this.errScanned = this.err.length;
      return;
    }
    this.readErr = this.err.slice(0, found);
    this.err = this.err.slice(found + line.length);
    this.finishRead();
  }

  /** The read is whole once both its streams showed the sentinel (sshd relays them apart). */
  private finishRead(): void {
    if (!this.readOut || this.readErr === undefined) return;
    this.result = { stdout: this.readOut.stdout, stderr: this.readErr, code: this.readOut.code };
    this.err = '';
    this.phase = 'waiting';
    this.clearTimer();
    this.settleRead?.resolve(this);
  }

  private onClose(): void {
    this.out += this.outDecoder.end();
    this.err += this.errDecoder.end();
    this.clearTimer();
    const phase = this.phase;
    this.phase = 'ended';
    if (phase === 'reading') {
      // The shell ended before its sentinels: the read's output as it is (its parse says what is missing).
      const stdout = this.readOut ? this.readOut.stdout : this.out;
      const stderr = this.readErr ?? this.err;
      this.result = { stdout, stderr, code: this.readOut?.code ?? this.exit.code, ...(this.exit.signal ? { signal: this.exit.signal } : {}) };
      this.settleRead?.resolve(this);
    } else if (phase === 'proceeding') {
      this.settleBatch?.resolve({ stdout: this.out, stderr: this.err, code: this.exit.code, ...(this.exit.signal ? { signal: this.exit.signal } : {}) });
    }
  }

  private fail(e: Error): void {
    const { phase } = this;
    this.phase = 'ended';
    this.clearTimer();
    this.onHost.end(this.shellPid);
    if (phase === 'reading') this.settleRead?.reject(e);
    else if (phase === 'proceeding') this.settleBatch?.reject(e);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.watchdogTimer) clearTimeout(this.watchdogTimer);
    this.timer = this.watchdogTimer = undefined;
  }
}
