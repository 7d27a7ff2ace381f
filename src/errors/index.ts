import { plural } from '../plural.js';
import { notReachedLines } from './not-reached-lines.js';

/**
 * Every error gridops reports on purpose is a GridopsError: a named class, a hint that says
 * what to do next, an optional cause, and an exit code taken from the one table below.
 */

/**
 * The one table of exit codes (README's table is checked against it by running the binary).
 * `plan --detailed-exitcode` uses CHANGES_PRESENT; nothing else may exit 2, so a pipeline can
 * trust it. USAGE is sysexits' EX_USAGE: a command line gridops could not parse or accept.
 */
export const ExitCode = {
  OK: 0,
  FAILURE: 1,
  CHANGES_PRESENT: 2,
  USAGE: 64,
  /**
   * An unknown command, as a shell's "command not found": set by bin/run.js off a terminal (said in
   * gridops' error format), and by oclif's plugin-not-found on one (after its "Did you mean" question).
   */
  UNKNOWN_COMMAND: 127,
  INTERRUPTED: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export abstract class GridopsError extends Error {
  abstract readonly code: string;
  readonly exitCode: ExitCode = ExitCode.FAILURE;
  constructor(
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }

  /**
   * What the run did before it failed, where it got that far (apply's and reset's result, from
   * apply-outcome.ts; a plan whose --out failed; what an interrupted status saw): `--json` prints it.
   */
  declare readonly result?: unknown;

  toJSON(): Record<string, unknown> {
    return { error: this.name, code: this.code, message: this.message, hint: this.jsonHint(), ...(this.result !== undefined ? { result: this.result } : {}) };
  }

  /** The hint as `--json` gives it: where a terminal's hint points at lines printed above, JSON has none, so some errors point at their `result`. */
  protected jsonHint(): string | undefined {
    return this.hint;
  }
}

/**
 * The topology (or a playbook) has problems; each carries a file:line:column position. The message
 * names the files they are in (a run checks the topology and its playbooks together) and counts them.
 */
export class ValidationError extends GridopsError {
  readonly code = 'VALIDATION';
  /**
   * `hint`: what to run once the lines are fixed, when `gridops validate FILE` would not check this
   * file (a --playbook's). `commandLine`: the problems no line of a file holds (a `--playbook` that
   * names nothing), reported with the others so that one run still shows every problem.
   */
  constructor(
    readonly problems: import('./problem.js').Problem[],
    readonly file: string,
    hint = 'fix the lines above, then run `gridops validate` again',
    readonly commandLine: ReadonlyArray<{ message: string; hint?: string }> = [],
  ) {
    const files = [...new Set(problems.map((p) => p.file))];
    const flags = commandLine.length ? `, and ${plural(commandLine.length, 'problem')} on the command line` : '';
    super(`${files.length ? files.join(', ') : file}: ${plural(problems.length, 'problem')} found${flags}`, hint);
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), problems: this.problems, ...(this.commandLine.length ? { commandLine: this.commandLine } : {}) };
  }

  protected override jsonHint(): string | undefined {
    // JSON has no lines above: the hint points at the list it carries.
    return this.hint?.replace(/^fix the lines above/, 'fix each of `problems` at its file:line:column');
  }
}

/** The command line is wrong: an unknown flag or command, a missing argument, a flag value that cannot be used. */
export class UsageError extends GridopsError {
  readonly code = 'USAGE';
  override readonly exitCode = ExitCode.USAGE;
}

/** apply (or reset) was not confirmed: no terminal to ask on and no --yes, or an answer other than "yes". */
export class ConfirmationRefusedError extends GridopsError {
  readonly code = 'NOT_CONFIRMED';
}

/** A file we were asked to read is missing or unreadable. */
export class InputFileError extends GridopsError {
  readonly code = 'INPUT_FILE';
}

/** The local machine lacks something a command needs (root, a package, a cgroup controller...). */
export class PreflightError extends GridopsError {
  readonly code = 'PREFLIGHT';
}

/** A host could not be reached or authenticated. */
export class ConnectionError extends GridopsError {
  readonly code = 'CONNECTION';
  constructor(readonly host: string, message: string, hint?: string, options?: { cause?: unknown }) {
    super(`${host}: ${message}`, hint, options);
  }
}

/**
 * An error's message on a line that already names its host: without the `HOST: ` the message
 * starts with (ConnectionError, HostKeyError), so a report reads "node-1: unreachable: cannot
 * connect…", not "node-1: unreachable: node-1: cannot connect…".
 */
export function messageUnder(host: string, message: string): string {
  return message.startsWith(`${host}: `) ? message.slice(host.length + 2) : message;
}

/** One host's problem as a report lists it under the host's name: `--json`'s `problems` and `notReached`, a plan's host error. */
export interface HostProblem {
  host: string;
  /** Without the `HOST: ` the error's own message may start with (messageUnder). */
  message: string;
  hint?: string;
}

/** `err` as `host`'s HostProblem: its message under the host's name, and its hint where it is a GridopsError with one. */
export function hostProblemOf(host: string, err: unknown): HostProblem {
  const said = (err as { message?: unknown } | undefined)?.message;
  const message = messageUnder(host, typeof said === 'string' ? said : String(err));
  return { host, message, ...(err instanceof GridopsError && err.hint ? { hint: err.hint } : {}) };
}

/**
 * The host key offered by a server is unknown or differs from known_hosts. `host` is what the
 * message starts with; `hosts` names each host refused when one error reports several.
 */
export class HostKeyError extends GridopsError {
  readonly code = 'HOST_KEY';
  /**
   * `refusal`: what was refused, without the host's name in front. `notReached`: the hosts of the
   * same run whose connection failed for another reason (transport/refused-keys.ts), each with its
   * own problem, so that one run shows everything to fix before the next; said after the refusal
   * in the message, and under `--json` as `notReached`.
   */
  constructor(readonly host: string, readonly refusal: string, hint: string, readonly hosts: readonly string[] = [host], readonly notReached: readonly HostProblem[] = []) {
    super(`${host}: ${refusal}${notReachedLines(notReached)}`, hint);
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), ...(this.notReached.length ? { notReached: this.notReached } : {}) };
  }
}

/** A remote step failed; carries the remote stderr. */
export class RemoteCommandError extends GridopsError {
  readonly code = 'REMOTE_COMMAND';
  constructor(readonly host: string, readonly step: string, readonly exitStatus: number | null, readonly stderr: string) {
    super(`${host}: ${step} failed (${exitReason(exitStatus)})${stderr ? `: ${stderrTail(stderr)}` : ''}`);
  }
}

/** How a remote command ended, for a line that already names its host and step: `exit 1`, or `exit signal` when it had no exit status. */
export function exitReason(exitStatus: number | null): string {
  return `exit ${exitStatus ?? 'signal'}`;
}

/** The last lines of a command's stderr on one line (`a | b | c`): usually enough to see why it failed. */
export function stderrTail(stderr: string, lines = 3): string {
  return stderr.trim().split('\n').slice(-lines).join(' | ');
}

/** Planning found something that cannot be done on a host (e.g. a module on a kernel without module support). */
export class PlanningError extends GridopsError {
  readonly code = 'PLANNING';

  /** Each host that could not be planned, with its problem (confirm.ts), for `--json`, which prints no plan above the error: its `problems`, as ValidationError's are. */
  readonly hostProblems: readonly HostProblem[];

  constructor(message: string, hint?: string, options: { cause?: unknown; hostProblems?: PlanningError['hostProblems'] } = {}) {
    super(message, hint, 'cause' in options ? { cause: options.cause } : undefined);
    this.hostProblems = options.hostProblems ?? [];
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), ...(this.hostProblems.length ? { problems: this.hostProblems } : {}) };
  }

  protected override jsonHint(): string | undefined {
    // The terminal's hint is the first host's, or points at the plan printed above; JSON has every host's in `problems`.
    return this.hostProblems.length ? 'fix the problem of each host of `problems` (each with its own hint), then run again' : this.hint;
  }
}

/** A saved plan no longer matches the hosts or the topology. */
export class StalePlanError extends GridopsError {
  readonly code = 'STALE_PLAN';
}

/**
 * A node named on the command line that the state does not record (`gridops state rm`): a usage
 * error, as a `--limit` or `--site` that names nothing is.
 */
export class NotInStateError extends GridopsError {
  readonly code = 'NOT_IN_STATE';
  override readonly exitCode = ExitCode.USAGE;
}

/** Another gridops run holds the state lock. */
export class LockHeldError extends GridopsError {
  readonly code = 'LOCK_HELD';
}

/** The run was interrupted (Ctrl-C). */
export class InterruptedError extends GridopsError {
  readonly code = 'INTERRUPTED';
  override readonly exitCode = ExitCode.INTERRUPTED;
}

/** One or more hosts failed during apply; the summary lists them. */
export class ApplyFailedError extends GridopsError {
  readonly code = 'APPLY_FAILED';

  protected override jsonHint(): string | undefined {
    // JSON has no summary above, as ValidationError's has no lines: the hint points at the result it carries.
    return this.hint?.replace(/^fix the hosts listed above/, 'fix each host of `result.unreachable` and each of `result.hosts` whose status is "failed"');
  }
}

/** Apply's changes landed, but the agents did not agree on one overlay within the health timeout; or, before a rolling apply's first batch, they did not (nothing changed). */
export class OverlayNotConvergedError extends GridopsError {
  readonly code = 'OVERLAY_NOT_CONVERGED';
}

/** The lab could not be built or torn down. */
export class LabError extends GridopsError {
  readonly code = 'LAB';
}

/** A --limit selector names no node, sub-grid, region or label of the grid; or --site no region or sub-grid. */
export class UnknownSelectorError extends GridopsError {
  readonly code = 'UNKNOWN_SELECTOR';
  override readonly exitCode = ExitCode.USAGE;
}
