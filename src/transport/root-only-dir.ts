/**
 * A directory only root may write, for a big file staged there before its owner's checks move it
 * into place (the sandbox's base image). In a directory anyone may write (/var/tmp), a local user
 * could put a symlink at the staged name for root to write through, or own the file and rewrite
 * it between its sha256 check and its move. Here nobody but root can touch it after the upload.
 */
import { posix } from 'node:path';
import { quote } from './quote.js';
import { ancestorsProblem, isDirectoryMode, rootOwnedAncestorsScript, type AncestorOps, type ModeAndOwner } from './root-owned-ancestors.js';

/** Root's alone: read, write and enter for root, nothing for anyone else. */
export const ROOT_ONLY_DIR_MODE = 0o700;
/** The mode of a parent the upload makes (as `mkdir -p` under root's usual umask). */
const PARENT_MODE = 0o755;

/** What an lstat says of a name (SFTP's attributes, or the process's own). */
export type DirAttrs = ModeAndOwner;

/** The file system calls makeRootOnlyDir needs: an SFTP session's, or the process's own. */
export interface DirOps extends AncestorOps {
  /** The attributes of what the name leads to (symlinks followed), or null when nothing is there. */
  stat(path: string): Promise<DirAttrs | null>;
  /** Makes one directory with `mode`; fails where something is already there. */
  mkdir(path: string, mode: number): Promise<void>;
}

/** What to do when the directory is refused. */
export const rootOnlyDirHint = (dir: string) => `remove ${dir} (or make it a directory owned by root with mode 0700) and run again`;

/**
 * Why `attrs` (an lstat of `dir`) is not a directory only root may write, or undefined when it
 * is: a directory itself (not a symlink to one), owned by root, mode exactly 0700.
 */
export function rootOnlyDirProblem(dir: string, attrs: DirAttrs): string | undefined {
  if (!isDirectoryMode(attrs.mode)) return `${dir} is not a directory (a symlink is not followed)`;
  if (attrs.uid !== 0) return `${dir} is owned by uid ${attrs.uid}, not root`;
  const perm = attrs.mode & 0o7777;
  if (perm !== ROOT_ONLY_DIR_MODE) return `${dir} has mode ${perm.toString(8).padStart(4, '0')}, not 0700`;
  return undefined;
}

/** The refusal of a directory that is not root's alone; the transport wraps it as the upload's error. */
export class RootOnlyDirError extends Error {}

/**
 * Makes `dir` (mode 0700, and its missing parents 0755) where nothing is at its name, then
 * refuses it (RootOnlyDirError) unless it is a directory owned by root with mode 0700. Parents
 * may be symlinks (an image store moved to a bigger disk); `dir` itself may not. Before anything
 * is made, the directories above that are there must be root's and only root's to write
 * (root-owned-ancestors.ts): else the check of `dir` proves nothing.
 */
export async function makeRootOnlyDir(dir: string, ops: DirOps): Promise<void> {
  let attrs = await ops.lstat(dir);
  const missing: string[] = [];
  let nearest = posix.dirname(dir);
  if (!attrs) for (; nearest !== '/' && !(await ops.stat(nearest)); nearest = posix.dirname(nearest)) missing.unshift(nearest);
  const above = await ancestorsProblem(nearest, dir, ops);
  if (above) throw new RootOnlyDirError(above);
  if (!attrs) {
    for (const p of missing) await ops.mkdir(p, PARENT_MODE).catch(async (e: unknown) => ((await ops.stat(p)) ? undefined : Promise.reject(e)));
    // Walked again: a parent made meanwhile by someone else (in a sticky directory) is theirs.
    const made = missing.length ? await ancestorsProblem(posix.dirname(dir), dir, ops) : undefined;
    if (made) throw new RootOnlyDirError(made);
    // Made meanwhile by another run: the check below decides, as for one found there.
    await ops.mkdir(dir, ROOT_ONLY_DIR_MODE).catch(async (e: unknown) => ((await ops.lstat(dir)) ? undefined : Promise.reject(e)));
    attrs = await ops.lstat(dir);
    if (!attrs) throw new RootOnlyDirError(`${dir} is gone right after it was made`);
  }
  const problem = rootOnlyDirProblem(dir, attrs);
  if (problem) throw new RootOnlyDirError(`${problem}; another user could change what is staged there. Hint: ${rootOnlyDirHint(dir)}`);
}

/**
 * The same as a shell script run as root (become through sudo, where SFTP is the login user's):
 * `dir` made where nothing is at its name, then refused unless a directory owned by root with
 * mode 0700 (`stat` reads the name itself, as lstat), then whatever is at `target` in it removed
 * (never followed; a directory there fails the rm) and `fill` run to write it anew (`"$f"` is
 * `target`). The subshell's status is the script's.
 */
export function stageInRootOnlyDirScript(target: string, fill: string): string {
  const dir = posix.dirname(target);
  const d = quote(dir);
  const refused = quote(`${dir} is not a directory owned by root with mode 0700 (a symlink is not followed); another user could change what is staged there. Hint: ${rootOnlyDirHint(dir)}`);
  return [
    `( f=${quote(target)}`,
    rootOwnedAncestorsScript(dir),
    // Parents 0755 whatever sudo's umask (0700 ones would keep qemu out of the pool beside it), as makeRootOnlyDir makes them;
    // one another run made meanwhile is judged by the check below, as makeRootOnlyDir judges it.
    `if [ ! -e ${d} ] && [ ! -L ${d} ]; then ( umask 022 && mkdir -p -- ${quote(posix.dirname(dir))} ) && gridops_above_ok ${quote(posix.dirname(dir))} && { mkdir -m 0700 -- ${d} || [ -e ${d} ] || [ -L ${d} ]; } || exit 1; fi`,
    `if [ -L ${d} ] || [ ! -d ${d} ] || [ "$(stat -c %u:%a -- ${d})" != 0:700 ]; then echo ${refused} >&2; exit 1; fi`,
    `rm -f -- "$f" || exit 1`,
    fill,
    ')',
  ].join('\n');
}
