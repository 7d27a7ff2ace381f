/**
 * A step's warning: a line a step says on stderr that apply shows even when the step succeeds,
 * where the rest of a succeeded step's stderr is shown nowhere. For what a step had to repair on
 * its way (an interrupted dpkg finished before an install), which the operator should hear of
 * though nothing failed; not for progress or chatter.
 *
 * The line is the message after the shell variable STEP_WARNING_VARIABLE, which a host's batch
 * (engine/batch-script.ts) sets to its random marker and ` warning `, so that no other output can
 * forge a warning and the gate reads them back by change. Where a script runs outside a batch (the
 * variable unset), the line is the message alone; in a failed step's stderr it is shown as that.
 */
export const STEP_WARNING_VARIABLE = 'gridops_step_warning';

/**
 * The shell line that says a step warning on stderr. `word`: the message as one shell word, its
 * text quoted (quote()) and any shell variable in double quotes: `${quote('failed (exit ')}"$r"${quote(')')}`.
 */
export function stepWarning(word: string): string {
  return `printf '%s%s\\n' "\${${STEP_WARNING_VARIABLE}-}" ${word} >&2`;
}
