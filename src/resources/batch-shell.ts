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

/**
 * Shell lines that print what a batch needs of the shell it will run in: the umask, then
 * `rename.ul` when that is on the host. Builtins only (no exec), and a status of 0 either way.
 */
export const BATCH_SHELL_QUERY = `umask; if [ -x ${RENAME_UL} ]; then echo rename.ul; fi`;

/** What BATCH_SHELL_QUERY printed, as a BatchShell; undefined where the umask is not one (a shell that speaks otherwise). */
export function parseBatchShell(output: string): BatchShell | undefined {
  const [umask = '', ...offered] = output.trim().split('\n');
  return /^[0-7]{3,4}$/.test(umask) ? { umask: umask.padStart(4, '0'), renameUl: offered.includes('rename.ul') } : undefined;
}
