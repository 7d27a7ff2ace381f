/**
 * What a batch knows of the shell it will run in, when it runs in its read's own session (a held
 * read, transport/held-read.ts): the read asked the shell and the batch is recorded for it.
 */
export interface BatchShell {
  /** The shell's umask (`0022`): writes set their own and give this one back, in that shell, with no subshell each. */
  umask: string;
  /**
   * util-linux's `rename.ul` is on the host (RENAME_UL): a batch's file writes are placed together,
   * several renames in one exec, instead of one `mv` each (StepRecorder.write, engine/batch-script.ts).
   */
  renameUl: boolean;
}

/**
 * util-linux's rename, under the name Debian and Ubuntu give it (util-linux is Essential there).
 * It renames each file by replacing a string in the last part of its name, with rename(2): one
 * process for every file a batch writes in a row. It links libc alone, where coreutils' `mv` also
 * loads libselinux, libacl, libattr and libpcre2: on a lab host one exec of it cost 2.6 to 3.9 ms
 * of CPU against 3.4 to 4.3 ms for `mv` (300 each, 2026-12-02). Elsewhere `rename` may be another
 * program (Perl's), so only this exact path is used, and a host without it gets `mv`.
 */
export const RENAME_UL = '/usr/bin/rename.ul';

/** The line BATCH_SHELL_QUERY's answer follows: what a login shell prints before it (a `.bashrc` that echoes) is not taken for it. */
const SHELL_ANSWER = '@@gridops-batch-shell@@';

/**
 * Shell lines that print what a batch needs of the shell it will run in: a line of its own, then
 * the umask, then `rename.ul` when that is on the host. Builtins only (no exec), and a status of 0
 * either way.
 */
export const BATCH_SHELL_QUERY = `echo '${SHELL_ANSWER}'; umask; if [ -x ${RENAME_UL} ]; then echo rename.ul; fi`;

/**
 * What BATCH_SHELL_QUERY printed after its last answer line (a line that ends with SHELL_ANSWER),
 * as a BatchShell; undefined where there is no answer line or the umask is not one (a shell that
 * speaks otherwise). The batch then writes in a subshell each and places each file with `mv`,
 * which any POSIX shell runs.
 */
export function parseBatchShell(output: string): BatchShell | undefined {
  const lines = output.split('\n');
  // Ending the line, not alone on it: a login shell's rc file that prints without a final newline glues its text to the answer.
  let at = lines.length - 1;
  while (at >= 0 && !lines[at].endsWith(SHELL_ANSWER)) at--;
  if (at < 0) return undefined;
  const [umask = '', ...offered] = lines.slice(at + 1).map((l) => l.trim()).filter((l) => l !== '');
  return /^[0-7]{3,4}$/.test(umask) ? { umask: umask.padStart(4, '0'), renameUl: offered.includes('rename.ul') } : undefined;
}
