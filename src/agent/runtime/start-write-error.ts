import { dirname } from 'node:path';

/**
 * A file the agent writes as it starts (its leave token, its boot epoch in the state file) could not
 * be written for a reason of the disk, not of the agent: a full or read-only /var, a directory it may
 * not write. main.ts says so in one line naming the file (no stack, which hid the path) and exits 1;
 * systemd starts it again, and it runs once the disk is fixed.
 */
export class StartWriteError extends Error {
  override readonly name = 'StartWriteError';
}

/** The errors of a disk or a directory an operator fixes, and what each means. */
const DISK_PROBLEMS: Record<string, string> = {
  ENOSPC: 'no space left on its disk',
  EDQUOT: 'the disk quota is used up',
  EFBIG: 'a file size limit (ulimit -f) stopped the write',
  EROFS: 'its file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

/** Runs `write` (of `path`); an error of the disk becomes a StartWriteError naming the file and what to do. */
export function writeAtStart<T>(path: string, write: () => T): T {
  try {
    return write();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const why = DISK_PROBLEMS[code];
    if (why === undefined) throw error;
    throw new StartWriteError(`cannot write ${path} at start: ${why} (${code}); free space on its disk, or make ${dirname(path)} writable: systemd starts the agent again, and it runs once the write succeeds`);
  }
}
