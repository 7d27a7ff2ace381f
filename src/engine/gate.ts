import { randomBytes } from 'node:crypto';
import { exitReason, InterruptedError } from '../errors/index.js';
import type { Change } from '../plan/change.js';
import type { HeldRead } from '../transport/held-read.js';
import { CommandTimeoutError } from '../transport/errors.js';
import type { ExecResult, Transport } from '../transport/transport.js';
import type { AptLockWait } from '../resources/apt-scripts.js';
import { parseBatchShell, type BatchShell } from '../resources/batch-shell.js';
import { StepRecorder } from '../resources/step-recorder.js';
import { batchScript, batchStop, batchWarnings, markedStderr } from './batch-script.js';
import { openBatchShell } from './batch-session.js';
import { wholeOrNothing } from './whole-or-nothing.js';

/**
 * What apply reports as it goes; `--json` prints these as JSON lines. Changes whose files are
 * placed together (batch-script.ts) start before the one before them is done; when a host's batch
 * fails, a change started after the failed one ends with the host's `host-failed`, without an
 * event of its own.
 */
export type ApplyEvent =
  | { type: 'change-start'; host: string; id: string; summary: string }
  | { type: 'change-done'; host: string; id: string; ms: number }
  /** Ended without changing anything: a command whose guard held when it was to run, or a handler only such commands notified. */
  | { type: 'change-skipped'; host: string; id: string; ms: number; reason: string }
  | { type: 'change-failed'; host: string; id: string; ms: number; step: string; error: string; stderr?: string }
  | { type: 'host-done'; host: string; applied: number; ms: number }
  | { type: 'host-failed'; host: string; step: string; error: string; stderr?: string }
  | { type: 'host-skipped'; host: string; reason: string }
  | { type: 'change-refused'; host: string; id: string; reason: string };

/** One change and how to perform it; `perform` only records steps on the recorder. */
export interface GateItem {
  change: Change;
  perform: (recorder: StepRecorder) => Promise<void>;
  /** A handler nothing owes but what these items (by index) notify: it is skipped when each of them was (BatchChange.notifiedBy). */
  notifiedBy?: readonly number[];
}

/** A step warning (resources/step-warning.ts) that a change's step said: the change's id, and the message. */
export interface ChangeWarning {
  id: string;
  message: string;
}

/**
 * The outcome of one host's batch: how many changes completed, and the failure if any: the change,
 * its failing step unless the step's label only repeats the change (`command boom`'s step `boom`),
 * how the step ended (`exit 1`), and what it printed.
 */
export interface BatchResult {
  applied: number;
  /** The items among the `applied` that a guard skipped (their indexes), and why: they changed nothing. */
  skipped?: Array<{ index: number; reason: string }>;
  /**
   * The step warnings (resources/step-warning.ts) of the changes among the `applied`, by change id,
   * in order: what they repaired on their way. A failed change's are in its `stderr`.
   */
  warnings?: ChangeWarning[];
  failure?: { change: string; step?: string; error: string; stderr: string; stdout: string };
}

/**
 * The single gate that every remote mutation passes (k0sctl's `Wet`, with a typed Change as
 * the thing passed). It hands out the only StepRecorders, refuses to start a host's work after
 * Ctrl-C, runs a host's changes as one script in one session (stopping at the first failing
 * step), and reports every change.
 */
export class MutationGate {
  constructor(
    private readonly emit: (event: ApplyEvent) => void,
    private readonly signal?: AbortSignal,
    /** How the batches' apt steps wait for another apt's lock; default apt-scripts.ts's. */
    private readonly aptLockWait?: AptLockWait,
  ) {}

  /**
   * `held`: the host's read session, waiting (held-read.ts): the batch runs there when it still
   * waits, else in a held session of its own (openBatchShell). `heldShell`: what that session's
   * shell told its read (ReadOutput.shell): its umask lets the batch's writes run in its own
   * shell, and `rename.ul` lets them be placed together (StepRecorder).
   */
  async pass(transport: Transport, become: boolean, items: readonly GateItem[], held?: HeldRead, heldShell?: BatchShell): Promise<BatchResult> {
    if (this.signal?.aborted) {
      held?.release();
      throw new InterruptedError(`${transport.name}: interrupted before its changes started`);
    }
    let own: HeldRead | undefined;
    try {
      if (!held?.waiting) {
        own = await openBatchShell(transport, become);
        // Ctrl-C while the shell answered: nothing has changed on the host yet.
        if (this.signal?.aborted) throw new InterruptedError(`${transport.name}: interrupted before its changes started`);
        if (own) return await this.run(transport, become, items, own, parseBatchShell(own.result.stdout));
      }
      return await this.run(transport, become, items, held, heldShell);
    } finally {
      // A batch that never reached its held shell (a resource's apply or an upload threw) lets it go.
      held?.release();
      own?.release();
    }
  }

  private async run(transport: Transport, become: boolean, items: readonly GateItem[], held: HeldRead | undefined, heldShell: BatchShell | undefined): Promise<BatchResult> {
    const host = transport.name;
    const shell = held?.waiting ? heldShell : undefined;
    const umask = shell?.umask;
    // Made before the steps are recorded: a step warning carries the marker as literal text in its
    // own step's script (resources/step-warning.ts), as the batch's other markers are in its script,
    // not in a shell variable that every step and the programs they run could read and forge with.
    const marker = `@@gridops-step-${randomBytes(8).toString('hex')}@@`;
    const recorder = new StepRecorder(host, { ...(shell ? { shell } : {}), warningMarker: marker, ...(this.aptLockWait ? { aptLockWait: this.aptLockWait } : {}) });
    for (const item of items) {
      recorder.begin(item.change.id);
      await item.perform(recorder);
    }
    const live = new LiveMarkers(marker, items, host, this.emit, (i, step, guard) => recorder.steps.filter((s) => s.change === items[i]?.change.id)[step]?.skipWhen?.[guard]?.reason);
    const t0 = performance.now();
    // Staged files first (SFTP on the same connection), in a directory only root may write: the
    // script's steps check and place them, and nobody else can change them in between. By path:
    // the transport streams the file (an image of GBs is never read whole here, nor in the keeper).
    for (const u of recorder.uploads) await transport.upload(u.remotePath, { localPath: u.localPath }, { mode: 0o600, become, rootOnlyDir: true });
    // The batch starts with the umask its writes were recorded for, wherever it runs: a held session
    // that ended meanwhile leaves it to a session of its own (here, or in the keeper), whose umask may differ.
    // Whole or nothing on every path (held, `sh -s` here or in the keeper): a script cut in transit runs none of it.
    const script = wholeOrNothing(
      `${umask ? `umask ${umask}\n` : ''}${batchScript(
        items.map((i) => ({ id: i.change.id, ...(i.change.notify?.length ? { notifies: true } : {}), ...(i.notifiedBy ? { notifiedBy: i.notifiedBy } : {}) })),
        recorder.steps,
        marker,
      )}`,
    );
    const timeoutMs = recorder.steps.reduce((sum, s) => sum + s.timeoutMs, 0) || 60_000;
    const onStdout = (text: string) => live.feed(text);
    // No abort signal on purpose: Ctrl-C lets a running batch finish (or time out).
    let result: ExecResult;
    let timedOut: CommandTimeoutError | undefined;
    try {
      result = held?.waiting ? await held.proceed(script, { timeoutMs, onStdout }) : await transport.exec('sh -s', { become, stdin: script, timeoutMs, onStdout });
    } catch (e) {
      // Past its bound the batch was killed, after the changes whose done markers came: a failure
      // of the change that hung, like a step that exited non-zero, not a connection's with nothing done.
      if (!(e instanceof CommandTimeoutError)) throw e;
      timedOut = e;
      result = { stdout: '', stderr: e.stderr, code: null };
    }
    live.finish(result.stdout);
    const ms = Math.round(performance.now() - t0);
    const applied = live.doneCount();
    const skippedAmong = live.skippedAmong(applied);
    const marked = markedStderr(result.stderr, marker);
    const warned = batchWarnings(marked).filter((w) => w.change < applied).map((w): ChangeWarning => ({ id: items[w.change]!.change.id, message: w.message }));
    const skipped = skippedAmong.length ? { skipped: skippedAmong } : {};
    const warnings = warned.length ? { warnings: warned } : {};
    if (!timedOut && applied === items.length && result.code === 0) return { applied, ...skipped, ...warnings };
    const stop = batchStop(marked, applied);
    const failed = items[stop.change];
    const stderr = stop.stderr;
    const failedSteps = recorder.steps.filter((s) => s.change === failed?.change.id);
    // No step marker of the change (a shell that ended before its script): the change itself.
    const label = stop.step === undefined ? undefined : failedSteps[stop.step]?.label;
    const change = failed?.change.id ?? 'batch';
    // Only the reason: the report's line names the host and the step, and shows the stderr under it.
    const error = timedOut ? `timed out after ${seconds(timedOut.timeoutMs)} and was killed` : exitReason(result.code);
    const stdout = live.stdoutOf(stop.change);
    if (failed) this.emit({ type: 'change-failed', host, id: change, ms: live.msOf(stop.change) ?? ms, step: label ?? change, error, stderr });
    return { applied, ...skipped, ...warnings, failure: { change, ...(label !== undefined && !namesItself(change, label) ? { step: label } : {}), error, stderr, stdout } };
  }
}

/** A batch's bound as a person reads it: `2 s`, `1.5 s`, `300 s`. */
function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** Whether a step's label only repeats its change: `command boom`'s step `boom`, `handler x`'s step `handler x`. */
function namesItself(change: string, label: string): boolean {
  return label === change || label === change.slice(change.indexOf(' ') + 1);
}

/**
 * Follows a host's batch as its stdout arrives: each change's start and done markers become
 * `change-start` and `change-done` events at that moment, with the change's own time, so a person
 * sees which change a host is on while its script runs. It also keeps each change's stdout.
 */
class LiveMarkers {
  private pending = '';
  private readonly started = new Map<number, number>();
  private readonly done = new Set<number>();
  private readonly durations = new Map<number, number>();
  private readonly output = new Map<number, string[]>();
  /** Changes whose `skipped` marker came, and why. */
  private readonly skipped = new Map<number, string>();
  private current = -1;
  private readonly pattern: RegExp;

  constructor(
    marker: string,
    private readonly items: readonly GateItem[],
    private readonly host: string,
    private readonly emit: (event: ApplyEvent) => void,
    /** The reason of guard `guard` of step `step` of item `i`. */
    private readonly guardReason: (i: number, step: number, guard: number) => string | undefined,
  ) {
    // Not anchored at the line's start: a step whose output does not end with a newline puts the
    // next marker at the end of its own last line (the marker is random, so no output forges it).
    this.pattern = new RegExp(`${marker} (start|done|skipped) (\\d+)(?: (\\d+) (\\d+))?$`);
  }

  feed(text: string): void {
    const lines = (this.pending + text).split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  /** The whole stdout once the script ended: any line the live feed did not see is taken now. */
  finish(stdout: string): void {
    if (this.started.size === 0 && this.done.size === 0 && stdout) this.feed(stdout);
    if (this.pending) this.line(this.pending);
    this.pending = '';
  }

  doneCount(): number {
    let n = 0;
    while (this.done.has(n)) n++;
    return n;
  }

  /** The skipped changes among the first `n`, in order. */
  skippedAmong(n: number): Array<{ index: number; reason: string }> {
    return [...this.skipped].filter(([i]) => i < n).sort(([a], [b]) => a - b).map(([index, reason]) => ({ index, reason }));
  }

  msOf(i: number): number | undefined {
    const t = this.started.get(i);
    return t === undefined ? undefined : Math.round(performance.now() - t);
  }

  /** What change `i` printed on stdout (without the markers). */
  stdoutOf(i: number): string {
    return (this.output.get(i) ?? []).join('\n');
  }

  private line(line: string): void {
    const m = this.pattern.exec(line);
    const output = m ? line.slice(0, m.index) : line;
    if (output || !m) {
      if (this.current >= 0) (this.output.get(this.current) ?? this.output.set(this.current, []).get(this.current)!).push(output);
      if (!m) return;
    }
    const i = Number(m[2]);
    const item = this.items[i];
    if (!item) return;
    if (m[1] === 'start') {
      this.current = i;
      this.started.set(i, performance.now());
      this.emit({ type: 'change-start', host: this.host, id: item.change.id, summary: item.change.summary });
    } else if (m[1] === 'skipped') {
      // Only a handler's marker names no guard.
      const reason = m[3] === undefined ? 'each change that notified it was skipped' : this.guardReason(i, Number(m[3]), Number(m[4]));
      if (!this.skipped.has(i)) this.skipped.set(i, reason ?? 'its guard held');
    } else if (!this.done.has(i)) {
      this.done.add(i);
      this.durations.set(i, this.msOf(i) ?? 0);
      const skipped = this.skipped.get(i);
      const ms = this.durations.get(i)!;
      this.emit(skipped === undefined ? { type: 'change-done', host: this.host, id: item.change.id, ms } : { type: 'change-skipped', host: this.host, id: item.change.id, ms, reason: skipped });
    }
  }
}
