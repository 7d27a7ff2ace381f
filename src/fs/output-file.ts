import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InputFileError } from '../errors/index.js';

/**
 * A file a run writes where the user said (`plan --out`, `--log-file`, `graph --out`). Its
 * directories are made as needed, as the writers do (atomic-write.ts, pino's mkdir), so what can
 * be told before a run is that the path is a directory or that a file stands where one of its
 * directories would be: checked before any host is contacted, since a plan of a large grid
 * takes minutes and was lost at the end.
 */
export async function checkOutputFile(file: string, hint: string): Promise<void> {
  const info = await stat(file).catch(() => undefined);
  if (info?.isDirectory()) throw new InputFileError(`cannot write ${file}: it is a directory`, hint);
  if (info) return;
  // The nearest part of the path that exists must be a directory, for the rest to be made in it.
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const found = await stat(dir).catch(() => undefined);
    if (found) {
      if (!found.isDirectory()) throw new InputFileError(`cannot write ${file}: ${dir} is a file, not a directory`, hint);
      return;
    }
    if (dirname(dir) === dir) return;
  }
}

/** The hint of every `--out` refused, before the run or at its end: the one rule, that its directories are made as needed. */
export function outFileHint(example: string): string {
  return `give --out a file you can write to (its directories are made as needed), e.g. ${example}`;
}

/** The error for a write to `file` that failed, said with the path and why, not as Node's raw error. */
export function cannotWrite(file: string, err: unknown, hint: string): InputFileError {
  const code = (err as NodeJS.ErrnoException).code;
  // ENOENT is also what a file system that holds no new files says (/proc): only a missing directory is called one.
  const noEntry = existsSync(dirname(file)) ? `no file can be created in ${dirname(file)}` : 'its directory does not exist';
  const why = code === 'ENOENT' ? noEntry : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : code === 'ENOTDIR' ? 'a part of its path is not a directory' : (err as Error).message;
  return new InputFileError(`cannot write ${file}: ${why}`, hint, { cause: err });
}
