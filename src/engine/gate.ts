import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { InterruptedError, RemoteCommandError } from '../errors/index.js';
import type { Change } from '../plan/change.js';
import type { Transport } from '../transport/transport.js';
import { StepRecorder, type RecordedStep } from '../resources/step-recorder.js';

/** What apply reports as it goes; `--json` prints these as JSON lines. */
export type ApplyEvent =
  | { type: 'change-start'; host: string; id: string; summary: string }
  | { type: 'change-done'; host: string; id: string; ms: number }
  | { type: 'change-failed'; host: string; id: string; ms: number; step: string; error: string; stderr?: string }
  | { type: 'host-done'; host: string; applied: number; ms: number }
  | { type: 'host-failed'; host: string; step: string; error: string; stderr?: string }
  | { type: 'host-skipped'; host: string; reason: string }
  | { type: 'change-refused'; host: string; id: string; reason: string };

/** One change and how to perform it; `perform` only records steps on the recorder. */
export interface GateItem {
  change: Change;
  perform: (recorder: StepRecorder) => Promise<void>;
}

/** The outcome of one host's batch: how many changes completed, and the failure if any. */
export interface BatchResult {
  applied: number;
  failure?: { change: string; step: string; error: string; stderr: string };
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
  ) {}

  async pass(transport: Transport, become: boolean, items: readonly GateItem[]): Promise<BatchResult> {
    if (this.signal?.aborted) throw new InterruptedError(`${transport.name}: interrupted before its changes started`);
    const host = transport.name;
    const recorder = new StepRecorder(host);
    for (const item of items) {
      recorder.begin(item.change.id);
      await item.perform(recorder);
    }
    const marker = `@@gridops-step-${randomBytes(8).toString('hex')}@@`;
    for (const item of items) this.emit({ type: 'change-start', host, id: item.change.id, summary: item.change.summary });
    const t0 = performance.now();
    // Staged files first (SFTP on the same connection); the script's steps check and place them.
    for (const u of recorder.uploads) await transport.upload(u.remotePath, await readFile(u.localPath), { mode: 0o600, become });
    const result = await transport.exec('sh -s', {
      become,
      stdin: batchScript(items, recorder.steps, marker),
      // No abort signal on purpose: Ctrl-C lets a running batch finish (or time out).
      timeoutMs: recorder.steps.reduce((sum, s) => sum + s.timeoutMs, 0) || 60_000,
    });
    const ms = Math.round(performance.now() - t0);
    const done = new Set<number>();
    for (const m of result.stdout.matchAll(new RegExp(`^${marker} done (\\d+)$`, 'gm'))) done.add(Number(m[1]));
    let applied = 0;
    for (const [i, item] of items.entries()) {
      if (!done.has(i)) break;
      this.emit({ type: 'change-done', host, id: item.change.id, ms });
      applied++;
    }
    if (applied === items.length && result.code === 0) return { applied };
    const failed = items[applied];
    const stderr = stderrOf(result.stderr, marker, applied);
    const stepIndex = /(?:^|\n)@@step (\d+)@@/.exec(result.stderr.split(`${marker} change ${applied}\n`)[1] ?? '');
    const failedSteps = recorder.steps.filter((s) => s.change === failed?.change.id);
    const step = failedSteps[stepIndex ? Number(stepIndex[1]) : 0]?.label ?? failed?.change.id ?? 'batch';
    const error = new RemoteCommandError(host, step, result.code, stderr).message;
    if (failed) this.emit({ type: 'change-failed', host, id: failed.change.id, ms, step, error, stderr });
    return { applied, failure: { change: failed?.change.id ?? 'batch', step, error, stderr } };
  }
}

/**
 * The script of one host's batch. Each change runs its steps in order, each in a subshell that
 * must succeed; the first failing step ends the whole batch. Markers on stdout say which
 * changes completed; markers on stderr split the error output by change and step.
 */
function batchScript(items: readonly GateItem[], steps: readonly RecordedStep[], marker: string): string {
  const lines: string[] = [];
  items.forEach((item, i) => {
    lines.push(`echo '${marker} change ${i}' >&2`);
    steps
      .filter((s) => s.change === item.change.id)
      .forEach((s, j) => {
        // stdin is the script itself: a step must not be able to read (and eat) the rest of it.
        lines.push(`echo '@@step ${j}@@' >&2`, `( ${s.command}\n) < /dev/null || exit $?`);
      });
    lines.push(`echo '${marker} done ${i}'`);
  });
  return `${lines.join('\n')}\n`;
}

/** The stderr of change `index`, without our markers. */
function stderrOf(stderr: string, marker: string, index: number): string {
  const part = stderr.split(`${marker} change ${index}\n`)[1] ?? stderr;
  return part
    .split(`${marker} change ${index + 1}\n`)[0]!
    .split('\n')
    .filter((l) => !/^@@step \d+@@$/.test(l))
    .join('\n');
}
