/**
 * The directories above a root-only staging directory (root-only-dir.ts). Its own checks (a
 * directory, root's, mode 0700) are worth nothing where another user may write a directory above
 * it: they could rename the checked directory away and put one of their own at its name between
 * the check and the write, or swap a symlinked parent for a link to a directory they own.
 */
import { constants } from 'node:fs';
import { posix } from 'node:path';
import { quote } from './quote.js';

/** Write for group or others. */
const WRITE_BY_OTHERS = 0o022;
/** The sticky bit: in such a directory (/tmp) only an entry's owner, the directory's or root may rename or remove it. */
const STICKY = 0o1000;

/** What a stat or lstat says of a name: its type and permission bits, and its owner. */
export interface ModeAndOwner {
  mode: number;
  uid: number;
}

/** Whether `mode` (st_mode) is a directory's. */
export const isDirectoryMode = (mode: number): boolean => (mode & constants.S_IFMT) === constants.S_IFDIR;

/** Why `attrs` (a stat of `path`) lets a user other than root replace what is in it, or undefined. */
export function ancestorProblem(path: string, attrs: ModeAndOwner): string | undefined {
  if (!isDirectoryMode(attrs.mode)) return `${path} is not a directory`;
  if (attrs.uid !== 0) return `${path}, a directory above it, is owned by uid ${attrs.uid}, not root`;
  const perm = attrs.mode & 0o7777;
  if (perm & WRITE_BY_OTHERS && !(perm & STICKY)) return `${path}, a directory above it, has mode ${perm.toString(8).padStart(4, '0')}: group or others may write it`;
  return undefined;
}

/** `path` and every directory above it, to `/`. */
function selfAndAbove(path: string): string[] {
  const chain = [path];
  for (let p = path; p !== '/'; ) chain.push((p = posix.dirname(p)));
  return chain;
}

/** What to do when a directory above is refused. */
const ancestorHint = (path: string) => `make ${path} owned by root and not writable by group or others (chown root ${path}; chmod go-w ${path}), or stage elsewhere, and run again`;

/** The calls the check needs: an SFTP session's, or the process's own. */
export interface AncestorOps {
  /** The attributes of what the name leads to (symlinks followed), or null when nothing is there. */
  stat(path: string): Promise<ModeAndOwner | null>;
  /** The name with every symlink resolved (realpath(3), as SFTP's REALPATH). */
  realpath(path: string): Promise<string>;
}

/**
 * Why a directory from `nearest` (the nearest one above the staging directory that is there) up
 * to `/` lets another user replace what is below it, or undefined: each along the path as named
 * (a symlink's target, the name itself sitting in the directory above, checked too) and along its
 * real path, where a symlinked parent's directory lives (an image store moved to a bigger disk).
 */
export async function ancestorsProblem(nearest: string, staging: string, ops: AncestorOps): Promise<string | undefined> {
  const chain = new Set([...selfAndAbove(nearest), ...selfAndAbove(await ops.realpath(nearest))]);
  for (const path of chain) {
    const attrs = await ops.stat(path);
    const problem = attrs ? ancestorProblem(path, attrs) : `${path} is gone`;
    if (problem) return `${problem}; another user could replace ${staging}. Hint: ${ancestorHint(path)}`;
  }
  return undefined;
}

/**
 * The shell lines that exit 1, saying why on stderr, unless every directory above `staging` that is
 * there is root's and only root may write it (or it is sticky): from the nearest one there up to
 * `/`, both along the path as named (each name's target, for a symlink) and along its real path
 * (`realpath`), where a symlinked parent's directory lives. They run before anything is made, so
 * a refusal changes nothing; the parents made after them are root's 0755.
 */
export function rootOwnedAncestorsScript(staging: string): string {
  const refused = (why: string) => `{ printf '%s: %s\\n' "$1" ${quote(`${why}; another user could replace ${staging}. Hint: make it owned by root and not writable by group or others (chown root, chmod go-w), or stage elsewhere, and run again`)} >&2; return 1; }`;
  return [
    // `%a` is octal without its leading 0 (1777): $((0$a)) reads it as octal, as POSIX arithmetic does.
    `above_ok() { [ -d "$1" ] || ${refused('not a directory')}`,
    `  a=$(stat -L -c '%u:%a' -- "$1") || return 1`,
    `  [ "\${a%%:*}" = 0 ] || ${refused('a directory above it, not owned by root')}`,
    `  m=\${a#*:}; [ $(( 0$m & ${WRITE_BY_OTHERS} )) -eq 0 ] || [ $(( 0$m & ${STICKY} )) -ne 0 ] || ${refused('a directory above it that group or others may write')}`,
    '}',
    `e=${quote(posix.dirname(staging))}; while [ ! -e "$e" ] && [ ! -L "$e" ]; do e=$(dirname -- "$e"); done`,
    'r=$(realpath -e -- "$e") || exit 1',
    'for start in "$e" "$r"; do p=$start; while :; do above_ok "$p" || exit 1; [ "$p" = / ] && break; p=$(dirname -- "$p"); done; done',
  ].join('\n');
}
