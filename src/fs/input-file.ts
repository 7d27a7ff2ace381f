import type { Stats } from 'node:fs';

/** Why a path given as a file to read is none, in words that follow its name ("… is a named pipe"), and what to do. */
export interface InputFileTrouble {
  why: string;
  hint: string;
}

/** What a path that is there but is no regular file is, as a user would name it. */
function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * What is wrong with `file` as a file to read, from its stat (symlinks followed) or the error
 * that stat gave; undefined for a regular file, and for an error the caller says better (a file
 * that does not exist, or is not readable). Asked before the file is opened: opening a named pipe
 * waits for a writer, for ever when none comes, and a device may never end.
 */
export function inputFileTrouble(file: string, stat: Stats | NodeJS.ErrnoException): InputFileTrouble | undefined {
  // Told apart by shape, not instanceof: an fs error may come from another realm (a test's vm context).
  if (typeof (stat as Stats).isFile !== 'function') {
    if ((stat as NodeJS.ErrnoException).code !== 'ELOOP') return undefined;
    return {
      why: 'is a symbolic link loop (ELOOP): its links lead back to themselves',
      hint: `fix the link: \`ls -l ${file}\` shows where it points; point it at the file itself, or give the file's own path`,
    };
  }
  const stats = stat as Stats;
  if (stats.isFile()) return undefined;
  const kind = kindOf(stats);
  const hint = stats.isDirectory() ? 'give the path of a file in it, not of the folder' : 'give the path of a regular file: save what it gives to a file first, then give that file';
  return { why: `is ${kind}, not a regular file`, hint };
}
