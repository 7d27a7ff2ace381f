/**
 * The script of one host's batch, and where in it a failed batch stopped. Each change runs its
 * steps in order and each step must succeed: the first failing step ends the whole batch. Markers
 * (random per batch, so no step's output can forge one) say on stdout which changes completed,
 * and on stderr split the error output by change and step.
 *
 * Writes staged in the batch's shell (RecordedStep.placement) are placed together: one
 * `rename.ul` renames the staged writes in a row over their targets, before the next step of
 * another kind and at the batch's end, and only then does the batch say their changes are done.
 * A staged write that fails places the ones before it first, so the changes before the failing
 * step are in place and its own target is as it was, as with one `mv` each.
 *
 * rename.ul goes on after a rename that fails (a directory or a mount point where the file should
 * go, an immutable file), so a write after the failing one in the same rename may land. Only a
 * change that is nothing but staged writes and notifies no handler (BatchChange) joins writes
 * already pending: such a change, once its files are in place, has nothing left to do, and the next
 * run finds it done. Any other change's write starts a rename of its own, so no step that must
 * follow a write (a daemon-reload, a handler) is lost behind a file that landed.
 *
 * A step with guards (RecordedStep.skipWhen: a command's `creates` and `unless`) is skipped when one
 * holds as it is about to run; a marker on stdout says so, and a handler that only skipped changes
 * notified is skipped too (BatchChange.notifiedBy): the batch alone knows, as it runs, what ran.
 */
import { RENAME_UL } from '../resources/batch-shell.js';
import { stepScript, type Placement, type RecordedStep } from '../resources/step-recorder.js';
import { warningPrefix } from '../resources/step-warning.js';
import { quote } from '../transport/quote.js';

/** One change of a batch, in the batch's order. */
export interface BatchChange {
  id: string;
  /** It notifies a handler, which runs only after every change is done: its writes never join others'. */
  notifies?: boolean;
  /**
   * A handler: the changes of the batch (their indexes) that notify it, when nothing else owes it.
   * When each of them was skipped by its guard (RecordedStep.skipWhen), nothing notified it: it is
   * skipped too. Absent: it runs.
   */
  notifiedBy?: readonly number[];
}

/** A staged write waiting for its rename, with the change and step (within that change) it came from. */
interface Pending {
  placement: Placement;
  change: number;
  step: number;
}

/**
 * The batch's marker lines, all built from its random `marker`. Each ends with `:`, whose name is
 * then the last word of the last command: bash (Fedora's and RHEL's sh) keeps that word in `$_`,
 * which a step started next would read, and with it the marker a step warning starts with.
 */
function markers(marker: string) {
  const line = (text: string, toStderr: boolean) => `echo '${marker} ${text}'${toStderr ? ' >&2' : ''}; :`;
  return {
    start: (i: number) => line(`start ${i}`, false),
    done: (i: number) => line(`done ${i}`, false),
    change: (i: number) => line(`change ${i}`, true),
    step: (j: number) => line(`step ${j}`, true),
    /** Before each placement: rename.ul's own error output follows it. */
    placing: line('placing', true),
    placeFailed: (p: Pending) => line(`place-failed ${p.change} ${p.step}`, true),
    /** Change `i` skipped: by guard `k` of its step `j`, or (a handler) because every change that notified it was. */
    skipped: (i: number, at?: { step: number; guard: number }) => line(`skipped ${i}${at ? ` ${at.step} ${at.guard}` : ''}`, false),
  };
}

/** `changes`: the batch's changes, in order; `steps`: every step recorded for them. */
export function batchScript(changes: readonly BatchChange[], steps: readonly RecordedStep[], marker: string): string {
  const m = markers(marker);
  const lines: string[] = [];
  /** Writes staged and not yet placed, and the changes whose `done` waits for them. */
  let pending: Pending[] = [];
  let deferred: number[] = [];
  const stepsOf = changes.map((c) => steps.filter((s) => s.change === c.id));
  /** A change whose writes may join those already pending: nothing but staged writes, no handler. */
  const mayJoin = changes.map((c, i) => !c.notifies && stepsOf[i]!.every((s) => s.placement));

  const placeBefore = (s: RecordedStep, change: number) => {
    const placement = s.placement;
    // A step of another kind may read what the staged writes will place; a second write of the
    // same file in one batch would find the first one's temp file.
    const joins = placement && (pending.length === 0 || mayJoin[change]) && !pending.some((p) => p.placement.temp === placement.temp);
    if (joins) return;
    lines.push(...placing(pending, deferred, m));
    pending = [];
    deferred = [];
  };

  /** Whether change `i` may be skipped by a guard: its variable is set (to 1) when it is. */
  const skippable = (i: number) => stepsOf[i]?.some((s) => s.skipWhen?.length) ?? false;
  const skippedVar = (i: number) => `_gsk_${i}`;

  changes.forEach((c, i) => {
    const own = stepsOf[i]!;
    // Before the change starts, so a failed placement ends the batch before it says so.
    if (own[0]) placeBefore(own[0], i);
    lines.push(m.start(i), m.change(i));
    if (skippable(i)) lines.push(`${skippedVar(i)}=`);
    // A handler only changes skipped by their guards notified: it runs only if one of them ran.
    const unlessAllSkipped = c.notifiedBy?.length && c.notifiedBy.every(skippable) ? c.notifiedBy : undefined;
    if (unlessAllSkipped) {
      if (own.some((s) => s.placement)) throw new Error(`${c.id}: a handler's steps are never staged writes`);
      lines.push(`if ${unlessAllSkipped.map((n) => `[ -n "$${skippedVar(n)}" ]`).join(' && ')}; then ${m.skipped(i)}; else`);
    }
    own.forEach((s, j) => {
      if (j > 0) placeBefore(s, i);
      lines.push(m.step(j));
      // Checked when the step is to run, after the changes before it are in place: the first guard that holds skips it.
      const guards = s.skipWhen ?? [];
      if (guards.length && s.placement) throw new Error(`${c.id}: a staged write has no guard`);
      guards.forEach((g, k) => lines.push(`${k === 0 ? 'if' : 'elif'} ${g.test} < /dev/null; then ${skippedVar(i)}=1; ${m.skipped(i, { step: j, guard: k })}`));
      if (guards.length) lines.push('else');
      lines.push(stepScript(s));
      if (guards.length) lines.push('fi');
      if (!s.placement) return;
      // The staged write failed (it removed its own temp file): the writes before it are placed
      // first, as they would have been one by one, then the batch ends with the write's status.
      // (If one of those fails to land, that is the failure reported, without this write's own.)
      lines.push(pending.length ? `if [ "$_gs" != 0 ]; then\n${placing(pending, deferred, m).join('\n')}\nexit "$_gs"\nfi` : '[ "$_gs" = 0 ] || exit "$_gs"');
      pending.push({ placement: s.placement, change: i, step: j });
    });
    if (unlessAllSkipped) lines.push('fi');
    if (pending.length) deferred.push(i);
    else lines.push(m.done(i));
  });
  lines.push(...placing(pending, deferred, m));
  return `${lines.join('\n')}\n`;
}

/**
 * One `rename.ul` for every pending write, then a test (a builtin) that each temp file is gone,
 * then the `done` of the changes that waited. The first temp file still there ends the batch: the
 * changes before its own are said to be done, and the temp files left are removed.
 */
function placing(pending: readonly Pending[], deferred: readonly number[], m: ReturnType<typeof markers>): string[] {
  if (pending.length === 0) return [];
  const temps = pending.map((p) => quote(p.placement.temp));
  return [
    m.placing,
    `${RENAME_UL} -- ${quote(pending[0]!.placement.prefix)} '' ${temps.join(' ')} < /dev/null`,
    ...pending.map((p, k) => {
      const failed = [`rm -f -- ${temps.slice(k).join(' ')}`, ...deferred.filter((i) => i < p.change).map(m.done), m.placeFailed(p), 'exit 1'];
      return `if [ -e ${temps[k]} ] || [ -L ${temps[k]} ]; then ${failed.join('; ')}; fi`;
    }),
    ...deferred.map(m.done),
  ];
}

/** Where a failed batch stopped: the change (its index in the batch), its step (within the change) when known, and what that step printed on stderr. */
export interface BatchStop {
  change: number;
  step?: number;
  stderr: string;
}

/**
 * A batch's stderr split by line once (markedStderr), for both readers of it: its step warnings
 * (batchWarnings) and, when it failed, where it stopped (batchStop).
 */
export interface MarkedStderr {
  /** The batch's random marker. */
  marker: string;
  /** Its lines; a marker that followed a step's last output on that line is on a line of its own. */
  lines: readonly string[];
}

/**
 * A batch's stderr by line, a marker that follows a step's last output on its line (output without
 * a final newline) on a line of its own. The marker is random, so no output forges one.
 */
export function markedStderr(stderr: string, marker: string): MarkedStderr {
  const lines = stderr.split('\n').flatMap((l) => {
    const at = l.indexOf(`${marker} `);
    return at > 0 ? [l.slice(0, at), l.slice(at)] : [l];
  });
  return { marker, lines };
}

/**
 * Reads a failed batch's stderr. `applied`: how many changes said they were done; the batch
 * stopped in the next one. A failed placement says which write it was; otherwise the last step
 * marker of that change's output is the step that failed.
 */
export function batchStop(stderr: MarkedStderr, applied: number): BatchStop {
  const { marker, lines } = stderr;
  const own = (line: string, word: string) => line.startsWith(`${marker} ${word}`);
  const failedAt = lines.findIndex((l) => own(l, 'place-failed '));
  if (failedAt >= 0) {
    const [change, step] = lines[failedAt]!.slice(`${marker} place-failed `.length).split(' ').map(Number);
    const from = lastIndexWhere(lines.slice(0, failedAt), (l) => own(l, 'placing'));
    return { change: change!, step: step!, stderr: withoutMarkers(lines.slice(from + 1, failedAt), marker) };
  }
  const start = lines.indexOf(`${marker} change ${applied}`);
  const end = lines.indexOf(`${marker} change ${applied + 1}`);
  if (start < 0) return { change: applied, stderr: withoutMarkers(lines, marker) };
  const section = lines.slice(start + 1, end < 0 ? lines.length : end);
  const lastStep = section[lastIndexWhere(section, (l) => own(l, 'step '))];
  return { change: applied, ...(lastStep ? { step: Number(lastStep.slice(`${marker} step `.length)) } : {}), stderr: withoutMarkers(section, marker) };
}

/** A step warning (resources/step-warning.ts) that change `change` of the batch said. */
export interface BatchWarning {
  change: number;
  message: string;
}

/** The step warnings in a batch's stderr, in order, each with the change whose section it is in. */
export function batchWarnings(stderr: MarkedStderr): BatchWarning[] {
  const { marker, lines } = stderr;
  const warnings: BatchWarning[] = [];
  const warning = warningPrefix(marker);
  let change = -1;
  for (const line of lines) {
    if (line.startsWith(`${marker} change `)) change = Number(line.slice(`${marker} change `.length));
    else if (line.startsWith(warning) && change >= 0) warnings.push({ change, message: line.slice(warning.length) });
  }
  return warnings;
}

/** The index of the last element that matches, or -1. */
function lastIndexWhere<T>(items: readonly T[], match: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (match(items[i]!)) return i;
  return -1;
}

/** Stderr lines without the batch's own marker lines; a step warning is its message, as the step said it. */
function withoutMarkers(lines: readonly string[], marker: string): string {
  const warning = warningPrefix(marker);
  return lines.flatMap((l) => (l.startsWith(warning) ? [l.slice(warning.length)] : l.startsWith(`${marker} `) ? [] : [l])).join('\n');
}
