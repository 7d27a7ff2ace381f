/**
 * The script of one host's batch, and where in it a failed batch stopped. Each change runs its
 * steps in order and each step must succeed: the first failing step ends the whole batch. Markers
 * on stdout say which changes completed; markers on stderr split the error output by change and
 * step.
 *
 * Writes staged in the batch's shell (RecordedStep.placement) are placed together: the batch
 * renames every staged write in a row with one `rename.ul`, before the next step of another kind
 * and at its end, and only then says their changes are done. A staged write that fails places
 * the ones before it first, so what a failed batch leaves is what it left with one `mv` each: the
 * changes before the failing step in place, the failing step's target as it was.
 */
import { RENAME_UL } from '../resources/batch-shell.js';
import { stepScript, type Placement, type RecordedStep } from '../resources/step-recorder.js';
import { quote } from '../transport/quote.js';

/** On stderr before each placement: a placement's own error output follows it. */
const PLACING = '@@placing@@';

/** A staged write waiting for its rename, with the change and step (within that change) it came from. */
interface Pending {
  placement: Placement;
  change: number;
  step: number;
}

/** `changes`: each change's id, in the batch's order; `steps`: every step recorded for them. */
export function batchScript(changes: readonly string[], steps: readonly RecordedStep[], marker: string): string {
  const lines: string[] = [];
  const done = (i: number) => `echo '${marker} done ${i}'`;
  /** Writes staged and not yet placed, and the changes whose `done` waits for them. */
  let pending: Pending[] = [];
  let deferred: number[] = [];

  // A step of another kind may read what the staged writes will place; a second write of the same
  // file in one batch would find the first one's temp file.
  const placeBefore = (s: RecordedStep) => {
    const placement = s.placement;
    if (placement && !pending.some((p) => p.placement.temp === placement.temp)) return;
    lines.push(...placing(pending, deferred, done));
    pending = [];
    deferred = [];
  };

  changes.forEach((id, i) => {
    const own = steps.filter((s) => s.change === id);
    // Before the change starts, so a failed placement ends the batch before it says so.
    if (own[0]) placeBefore(own[0]);
    lines.push(`echo '${marker} start ${i}'`, `echo '${marker} change ${i}' >&2`);
    own.forEach((s, j) => {
      const placement = s.placement;
      if (j > 0) placeBefore(s);
      lines.push(`echo '@@step ${j}@@' >&2`, stepScript(s));
      if (!placement) return;
      // The staged write failed (it removed its own temp file): the writes before it are placed
      // first, as they would have been one by one, then the batch ends with the write's status.
      lines.push(pending.length ? `if [ "$_gs" != 0 ]; then\n${placing(pending, deferred, done).join('\n')}\nexit "$_gs"\nfi` : '[ "$_gs" = 0 ] || exit "$_gs"');
      pending.push({ placement, change: i, step: j });
    });
    if (pending.length) deferred.push(i);
    else lines.push(done(i));
  });
  lines.push(...placing(pending, deferred, done));
  return `${lines.join('\n')}\n`;
}

/**
 * One `rename.ul` for every pending write, then a test (a builtin) that each temp file is gone,
 * then the `done` of the changes that waited. The first temp file still there ends the batch: the
 * changes before its own are said to be done, and the temp files left are removed. Writes after it
 * in the same rename may already be in place (rename.ul goes on after a failure): the run reports
 * the first failure, and the next run finds those done.
 */
function placing(pending: readonly Pending[], deferred: readonly number[], done: (i: number) => string): string[] {
  if (pending.length === 0) return [];
  const temps = pending.map((p) => quote(p.placement.temp));
  return [
    `echo '${PLACING}' >&2`,
    `${RENAME_UL} -- ${quote(pending[0]!.placement.prefix)} '' ${temps.join(' ')}`,
    ...pending.map((p, k) => {
      const failed = [`rm -f ${temps.slice(k).join(' ')}`, ...deferred.filter((i) => i < p.change).map(done), `echo '@@place-failed ${p.change} ${p.step}@@' >&2`, 'exit 1'];
      return `if [ -e ${temps[k]} ] || [ -L ${temps[k]} ]; then ${failed.join('; ')}; fi`;
    }),
    ...deferred.map(done),
  ];
}

/** Where a failed batch stopped: the change (its index in the batch), its step (within the change) when known, and what that step printed on stderr. */
export interface BatchStop {
  change: number;
  step?: number;
  stderr: string;
}

/**
 * Reads a failed batch's stderr. `applied`: how many changes said they were done; the batch
 * stopped in the next one. A failed placement says which write it was; otherwise the last step
 * marker of that change's output is the step that failed.
 */
export function batchStop(stderr: string, marker: string, applied: number): BatchStop {
  const placeFailed = /(?:^|\n)@@place-failed (\d+) (\d+)@@(?:\n|$)/.exec(stderr);
  if (placeFailed) {
    const at = placeFailed.index + (placeFailed[0].startsWith('\n') ? 1 : 0);
    const from = stderr.lastIndexOf(`${PLACING}\n`, at);
    return { change: Number(placeFailed[1]), step: Number(placeFailed[2]), stderr: withoutMarkers(stderr.slice(from < 0 ? 0 : from, at)) };
  }
  const section = stderr.split(`${marker} change ${applied}\n`)[1];
  const own = section === undefined ? stderr : section.split(`${marker} change ${applied + 1}\n`)[0]!;
  const steps = [...own.matchAll(/(?:^|\n)@@step (\d+)@@(?=\n|$)/g)];
  const last = steps.at(-1);
  return { change: applied, ...(last ? { step: Number(last[1]) } : {}), stderr: withoutMarkers(own) };
}

/** Stderr without the batch's own marker lines. */
function withoutMarkers(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/^@@step \d+@@$/.test(l) && l !== PLACING)
    .join('\n');
}
