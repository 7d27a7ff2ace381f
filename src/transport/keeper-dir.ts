/**
 * The directory of the keepers' sockets (keeper-protocol.ts keeperDir), and a socket a run finds
 * there. A run hands the keeper its commands and the files its batches write, as content (the
 * grid key among them; the sandbox image goes as a path, which the keeper reads from disk), and
 * believes what the keeper reads back, so whoever can put a socket at that name can pose as the
 * keeper. Under
 * `sudo -E`, root's keeper directory sits in the invoking user's $XDG_RUNTIME_DIR or $HOME: that
 * user could rename root's directory away and put one of their own, with their own keeper, at its
 * name. So the directory must be ours, mode 0700 and not a symlink, and every directory its lookup
 * passes through must be ours or root's and not writable by group or others (unless sticky, as
 * /tmp, where only an entry's owner may rename it): then no other user can change what is there.
 */
import { constants, lstatSync, mkdirSync, readlinkSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConnectionError, messageUnder } from '../errors/index.js';
import { keeperSocket } from './keeper-protocol.js';

/** Write for group or others. */
const WRITE_BY_OTHERS = 0o022;
/** The sticky bit: in such a directory only an entry's owner, the directory's or root may rename or remove it. */
const STICKY = 0o1000;
/** As the kernel's limit on symlinks followed in one lookup (MAXSYMLINKS). */
const MAX_HOPS = 40;

const ourUid = (): number | undefined => process.getuid?.();
const modeText = (mode: number) => (mode & 0o7777).toString(8).padStart(4, '0');

/** A refused keeper directory or socket: the run connects directly instead (fleet.ts). */
export class KeeperDirError extends ConnectionError {
  constructor(problem: string, hint: string) {
    super('keeper', problem, hint);
  }
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Why a directory on the way (an lstat of it) lets another user replace what is below it, or undefined. */
function ancestorProblem(path: string, info: Stats, dir: string): string | undefined {
  if (info.uid !== 0 && info.uid !== ourUid()) return `${path}, a directory on the way to ${dir}, is owned by uid ${info.uid}, neither you nor root`;
  if (info.mode & WRITE_BY_OTHERS && !(info.mode & STICKY)) return `${path}, a directory on the way to ${dir}, has mode ${modeText(info.mode)}: group or others may write it`;
  return undefined;
}

/**
 * Why the lookup of `parent` (which is there) passes a directory another user could change, or
 * undefined. The kernel's walk: component by component from `/`, each symlink read and followed,
 * so every directory looked in is checked, the ones holding the symlinks on the way included.
 */
function lookupProblem(parent: string, dir: string): string | undefined {
  const root = lstatSync('/');
  const rootProblem = ancestorProblem('/', root, dir);
  if (rootProblem) return rootProblem;
  let at = '/';
  let rest = parent.split('/');
  for (let hops = 0; rest.length; ) {
    const name = rest.shift()!;
    if (name === '' || name === '.') continue;
    if (name === '..') {
      at = dirname(at);
      continue;
    }
    const next = join(at, name);
    const info = lstatOrNull(next);
    if (!info) return `${next} is gone while ${dir} is checked`;
    if (info.isSymbolicLink()) {
      if (++hops > MAX_HOPS) return `${parent} goes through more than ${MAX_HOPS} symlinks`;
      const target = readlinkSync(next);
      if (target.startsWith('/')) at = '/';
      rest = [...target.split('/'), ...rest];
      continue;
    }
    if (!info.isDirectory()) return `${next} is not a directory`;
    const problem = ancestorProblem(next, info, dir);
    if (problem) return problem;
    at = next;
  }
  return undefined;
}

/**
 * Makes the socket directory (mode 0700) where it is missing, then refuses it (KeeperDirError)
 * unless it is a directory of ours with mode 0700, not a symlink, whose lookup passes only
 * directories of ours or root's that group and others may not write.
 */
export function ensurePrivateDir(dirGiven: string): void {
  const dir = resolve(dirGiven);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const hint = `make ${dir} a directory of mode 0700 owned by you, with only your or root's directories above it that group and others may not write (or set GRIDOPS_KEEPER_DIR to one); or run without --persist`;
  const info = lstatSync(dir);
  if (info.isSymbolicLink()) throw new KeeperDirError(`${dir} is a symlink (not followed for the keeper's socket)`, hint);
  if (!info.isDirectory()) throw new KeeperDirError(`${dir} is not a directory`, hint);
  if (info.uid !== ourUid()) throw new KeeperDirError(`${dir} is owned by uid ${info.uid}, not you`, hint);
  if ((info.mode & 0o077) !== 0) throw new KeeperDirError(`${dir} has mode ${modeText(info.mode)}: others may enter it`, hint);
  const above = lookupProblem(dirname(dir), dir);
  if (above) throw new KeeperDirError(`${above}; another user could replace the keeper's socket`, hint);
}

/**
 * The longest path bind() and connect() take for a Unix socket: sun_path holds 108 bytes on Linux
 * (104 on macOS and the BSDs), its closing NUL included. A longer one is not refused by Node: the
 * name is cut, so the keeper would listen where no run looks for it.
 */
export const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : 103;

/** Refuses (KeeperDirError) a directory where a keeper's socket path would not fit in MAX_SOCKET_PATH_BYTES. */
export function ensureSocketPathFits(dir: string): void {
  // Every keeper's socket has a name of one length (keeperSocket): any set of files measures it.
  const path = keeperSocket(dir, []);
  const bytes = Buffer.byteLength(path);
  if (bytes <= MAX_SOCKET_PATH_BYTES) return;
  throw new KeeperDirError(
    `the keeper's socket path ${path} is ${bytes} bytes, longer than the ${MAX_SOCKET_PATH_BYTES} a Unix socket's name can hold`,
    `set GRIDOPS_KEEPER_DIR to a shorter directory (its path at most ${MAX_SOCKET_PATH_BYTES - (bytes - Buffer.byteLength(dirname(path)))} bytes), or run without --persist`,
  );
}

/** Why the run may not use a keeper in `dir` (ensureSocketPathFits' or ensurePrivateDir's refusal, with its hint), or undefined. */
export function keeperDirRefusal(dir: string): string | undefined {
  try {
    // The length first: a directory that cannot be used is not made.
    ensureSocketPathFits(dir);
    ensurePrivateDir(dir);
    return undefined;
  } catch (err) {
    if (!(err instanceof KeeperDirError)) throw err;
    return keeperRefusalText(err);
  }
}

/**
 * Whether a keeper's socket is at `path` (in a directory ensurePrivateDir accepted); refuses
 * (KeeperDirError) anything there that is not a socket of ours, so the run never dials it.
 */
export function ensureOwnKeeperSocket(path: string): boolean {
  const info = lstatOrNull(path);
  if (!info) return false;
  const hint = `remove ${path}, or run without --persist`;
  if (!info.isSocket()) throw new KeeperDirError(`${path} is not a socket`, hint);
  if (info.uid !== ourUid()) throw new KeeperDirError(`${path} is owned by uid ${info.uid}, not you`, hint);
  return true;
}

/** The inode of the socket a keeper listens on, so it removes only its own (a successor may listen at the same name). */
export function socketIdentity(path: string): { dev: number; ino: number } | undefined {
  const info = lstatOrNull(path);
  return info && (info.mode & constants.S_IFMT) === constants.S_IFSOCK ? { dev: info.dev, ino: info.ino } : undefined;
}

/** A keeper error as the run's warning says it (fleet.ts): the problem, then its hint in parentheses. */
export function keeperRefusalText(err: ConnectionError): string {
  return `${messageUnder(err.host, err.message)}${err.hint ? ` (${err.hint})` : ''}`;
}
