/**
 * The directories above a root-only staging directory (root-only-dir.ts). Its own checks (a
 * directory, root's, mode 0700) are worth nothing where another user may write a directory above
 * it: they could rename the checked directory away and put one of their own at its name between
 * the check and the write, or point a symlink on the way at a directory they own.
 */
import { constants } from 'node:fs';
import { posix } from 'node:path';
import { quote } from './quote.js';

/** Write for group or others. */
const WRITE_BY_OTHERS = 0o022;
/** The sticky bit: in such a directory (/tmp) only an entry's owner, the directory's or root may rename or remove it. */
const STICKY = 0o1000;
/** As the kernel's limit on symlinks followed in one lookup (MAXSYMLINKS). */
const MAX_HOPS = 40;

/** What a stat or lstat says of a name: its type and permission bits, and its owner. */
export interface ModeAndOwner {
  mode: number;
  uid: number;
}

/** Whether `mode` (st_mode) is a directory's. */
export const isDirectoryMode = (mode: number): boolean => (mode & constants.S_IFMT) === constants.S_IFDIR;
const isSymlinkMode = (mode: number): boolean => (mode & constants.S_IFMT) === constants.S_IFLNK;

/** Why `attrs` (an lstat of the directory `path`) lets a user other than root replace what is in it, or undefined. */
export function ancestorProblem(path: string, attrs: ModeAndOwner): string | undefined {
  if (attrs.uid !== 0) return `${path}, a directory on the way to it, is owned by uid ${attrs.uid}, not root`;
  const perm = attrs.mode & 0o7777;
  if (perm & WRITE_BY_OTHERS && !(perm & STICKY)) return `${path}, a directory on the way to it, has mode ${perm.toString(8).padStart(4, '0')}: group or others may write it`;
  return undefined;
}

/** What to do when a directory on the way is refused. */
const ancestorHint = (path: string) =>
  `make ${path} owned by root and not writable by group or others (chown root ${path}; chmod go-w ${path}); where it is a user's, keep /var/lib/gridops out of it; then run again`;

/** The calls the walk needs: an SFTP session's, or the process's own. */
export interface AncestorOps {
  /** The name's own attributes (a symlink is not followed), or null when nothing is there. */
  lstat(path: string): Promise<ModeAndOwner | null>;
  /** A symlink's target, as written in it. */
  readlink(path: string): Promise<string>;
}

/**
 * Why a directory the lookup of `path` (which is there) passes through lets another user replace
 * what is below it, or undefined. The walk is the kernel's: component by component from `/`,
 * each symlink met read and followed hop by hop, so that every directory looked in is checked,
 * the one holding each symlink on the way included (an image store moved to a bigger disk is
 * judged where it leads, and by the directories its links sit in). `staging` is named in the reason.
 */
export async function ancestorsProblem(path: string, staging: string, ops: AncestorOps): Promise<string | undefined> {
  const refuse = (problem: string, at: string) => `${problem}; another user could replace ${staging}. Hint: ${ancestorHint(at)}`;
  const root = await ops.lstat('/');
  const rootProblem = root && ancestorProblem('/', root);
  if (rootProblem) return refuse(rootProblem, '/');
  let dir = '/';
  let rest = path.split('/');
  for (let hops = 0; rest.length; ) {
    const name = rest.shift()!;
    if (name === '' || name === '.') continue;
    if (name === '..') {
      dir = posix.dirname(dir);
      continue;
    }
    const next = posix.join(dir, name);
    const attrs = await ops.lstat(next);
    if (!attrs) return `${next} is gone while ${staging} is made; run again`;
    if (isSymlinkMode(attrs.mode)) {
      if (++hops > MAX_HOPS) return `${path} goes through more than ${MAX_HOPS} symlinks; make ${staging}'s parents plain directories, and run again`;
      const target = await ops.readlink(next);
      if (target.startsWith('/')) dir = '/';
      rest = [...target.split('/'), ...rest];
      continue;
    }
    if (!isDirectoryMode(attrs.mode)) return `${next} is not a directory, so ${staging} cannot be made under it. Hint: move it away, and run again`;
    const problem = ancestorProblem(next, attrs);
    if (problem) return refuse(problem, next);
    dir = next;
  }
  return undefined;
}

/**
 * The shell lines that exit 1, saying why on stderr, unless every directory the lookup of
 * `staging`'s parent passes through is root's and only root may write it (or it is sticky): the
 * same walk as ancestorsProblem, from the nearest one there (`gridops_above_ok` walks again
 * after the parents are made: a name made meanwhile in a sticky directory is someone else's).
 */
export function rootOwnedAncestorsScript(staging: string): string {
  const hint = `make it owned by root and not writable by group or others (chown root, chmod go-w); where it is a user's, keep /var/lib/gridops out of it; then run again`;
  const refused = (why: string) => `{ printf '%s: %s\\n' "$q" ${quote(`${why}; another user could replace ${staging}. Hint: ${hint}`)} >&2; return 1; }`;
  return [
    // `%a` is octal without its leading 0 (1777): $((0$m)) reads it as octal, as POSIX arithmetic does.
    `gridops_dir_ok() { a=$(stat -c '%u:%a' -- "$q") || return 1`,
    `  [ "\${a%%:*}" = 0 ] || ${refused('a directory on the way to it, not owned by root')}`,
    `  m=\${a#*:}; [ $(( 0$m & ${WRITE_BY_OTHERS} )) -eq 0 ] || [ $(( 0$m & ${STICKY} )) -ne 0 ] || ${refused('a directory on the way to it that group or others may write')}`,
    '}',
    // Component by component from /, a symlink's target read and walked in its place (40 hops at most).
    'gridops_above_ok() { d=/; rest=$1; hops=0; q=/; gridops_dir_ok || return 1',
    '  while [ -n "$rest" ]; do',
    '    c=${rest%%/*}; case $rest in */*) rest=${rest#*/} ;; *) rest= ;; esac',
    '    case $c in ""|.) continue ;; ..) d=$(dirname -- "$d"); continue ;; esac',
    '    q=${d%/}/$c',
    `    if [ -L "$q" ]; then hops=$((hops + 1)); [ $hops -le ${MAX_HOPS} ] || { echo "$1: more than ${MAX_HOPS} symlinks on the way" >&2; return 1; }`,
    '      t=$(readlink -- "$q") || return 1; case $t in /*) d=/ ;; esac; rest=$t${rest:+/$rest}; continue; fi',
    `    [ -d "$q" ] || ${refused('not a directory')}`,
    '    gridops_dir_ok || return 1; d=$q',
    '  done',
    '}',
    `e=${quote(posix.dirname(staging))}; while [ ! -e "$e" ] && [ ! -L "$e" ]; do e=$(dirname -- "$e"); done`,
    'gridops_above_ok "$e" || exit 1',
  ].join('\n');
}
