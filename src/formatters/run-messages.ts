import { formatProblem, type Problem } from '../errors/problem.js';
import { progressLine } from './progress.js';

/**
 * What a command says besides its result, always on stderr: warnings, progress, phases. With
 * --json none of it is dropped (a recorded host key or a setting that does nothing is never
 * silent): each becomes one JSON line, as apply's events, so stdout holds the result alone.
 */
export interface RunMessages {
  /** A warning at its place in an input file, as a compiler prints one. */
  warnAt(problem: Problem): void;
  /** A warning that no file position holds (a stale lock taken over, a line of ~/.ssh/config). */
  warn(message: string): void;
  /** A progress line of the run (which also carries news such as a host key recorded). */
  progress(message: string, elapsedMs: number): void;
  /** A phase's title, said with --verbose only. */
  phase(title: string): void;
  /**
   * The line said at a Ctrl-C or SIGTERM (interrupt-notice.ts): `interrupt` at the first, `quit` at
   * the second. With --json, one object with the signal, so stderr stays JSON lines throughout.
   */
  signalled(kind: 'interrupt' | 'quit', signal: NodeJS.Signals, notice: string): void;
}

export function runMessages(options: { json: boolean; verbose: boolean; write?: (text: string) => void }): RunMessages {
  const { json, verbose } = options;
  const write = options.write ?? ((text: string) => void process.stderr.write(text));
  const line = (value: object) => write(`${JSON.stringify(value)}\n`);
  const warn = (message: string) => (json ? line({ type: 'warning', message }) : write(`warning: ${message}\n`));
  return {
    warnAt: (problem) => (json ? line({ type: 'warning', ...problem }) : write(`${formatProblem({ ...problem, message: `warning: ${problem.message}` })}\n`)),
    warn,
    progress: (message, ms) => (json ? line({ type: 'progress', message, ms }) : write(progressLine(message, ms, verbose))),
    phase: (title) => {
      if (verbose) json ? line({ type: 'phase', title }) : write(`gridops: == ${title}\n`);
    },
    // The notice's blank line before it sets it apart on a terminal; a JSON line needs no such space.
    signalled: (kind, signal, notice) => (json ? line({ type: kind, signal, message: notice.trim() }) : write(notice)),
  };
}
