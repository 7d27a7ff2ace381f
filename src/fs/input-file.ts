import { statSync, type Stats } from 'node:fs';

/** Why a path given as a file to read is none, in words that follow its name ("… is a socket"), and what to do. */
export interface InputFileTrouble {
  why: string;
  hint: string;
}

/** What a path that is there but is no regular file is, as a user would name it. */
export function fileKind(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a named pipe';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * What is wrong with a path as a file to read, from its stat (symlinks followed) or the error
 * that stat gave; undefined for a regular file or a named pipe, and for an error the caller says
 * better (a file that does not exist, or is not readable). A named pipe is read as `cat` reads one
 * (waiting for a writer): it is what process substitution gives, `gridops plan <(gen)`. Asked
 * before the file is opened: a device may never end.
 */
export function inputFileTrouble(stat: Stats | NodeJS.ErrnoException): InputFileTrouble | undefined {
  // Told apart by shape, not instanceof: an fs error may come from another realm (a test's vm context).
  if (typeof (stat as Stats).isFile !== 'function') {
    if ((stat as NodeJS.ErrnoException).code !== 'ELOOP') return undefined;
    return {
      why: 'is a symbolic link loop (ELOOP): its links lead back to themselves',
      // The path is not written into the command: src/fs sits below the one quoting function
      // (transport/quote.ts), and a path pasted unquoted into a shell may run what it holds.
      hint: "fix the link: `ls -l` on that path shows where it points; point it at the file itself, or give the file's own path",
    };
  }
  const stats = stat as Stats;
  if (stats.isFile() || stats.isFIFO()) return undefined;
  const kind = fileKind(stats);
  const hint = stats.isDirectory() ? 'give the path of a file in it, not of the folder' : 'give the path of a regular file: save what it gives to a file first, then give that file';
  return { why: `is ${kind}, not a regular file`, hint };
}

/** inputFileTrouble of `file`, stat'd here (symlinks followed): for a caller with no stat of its own to reuse. */
export function inputFileTroubleAt(file: string): InputFileTrouble | undefined {
  let stat: Stats | NodeJS.ErrnoException;
  try {
    stat = statSync(file);
  } catch (err) {
    stat = err as NodeJS.ErrnoException;
  }
  return inputFileTrouble(stat);
}
