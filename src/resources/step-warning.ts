/**
 * A step's warning: a line a step says on stderr that apply shows even when the step succeeds,
 * where the rest of a succeeded step's stderr is shown nowhere. For what a step had to repair on
 * its way (an interrupted dpkg finished before an install), or waited for (another apt's lock),
 * which the operator should hear of though nothing failed; not for progress or chatter.
 *
 * In a host's batch the line starts with the batch's random marker and ` warning ` (warningPrefix),
 * written as literal text into the step's own script when the step is recorded (stepWarning, with
 * the StepRecorder's warningMarker), as the batch's other markers are written into its script: no
 * shell variable holds it, so no other step (a user's `command:`), nor any program a step runs,
 * can read it, print it or forge a warning with it, and the gate reads the warnings back by change.
 * Outside a batch (no marker) the line is the message alone; in a failed step's stderr it is shown
 * as that.
 */
import { quote } from '../transport/quote.js';

/** What starts a step warning's line in the stderr of the batch whose marker is `marker`. */
export function warningPrefix(marker: string): string {
  return `${marker} warning `;
}

/**
 * The shell line that says a step warning on stderr. `word`: the message as one shell word, its
 * text quoted (quote()) and any shell variable in double quotes: `${quote('failed (exit ')}"$r"${quote(')')}`.
 * `marker`: the batch's the step is recorded for, or undefined outside a batch. printf is the
 * shell's builtin, so the marker never shows in a process's arguments (`ps`) either.
 */
export function stepWarning(word: string, marker: string | undefined): string {
  if (marker === undefined) return `printf '%s\\n' ${word} >&2`;
  return `printf '%s%s\\n' ${quote(warningPrefix(marker))} ${word} >&2`;
}
