/**
 * gridops' private cache of validated inputs on disk: one folder per kind of entry
 * (`topology/`, `playbooks/`) under gridops' cache, one JSON entry per input file, each carrying
 * the key it was written for. What goes into the key, and what an entry holds, is its user's
 * (topology/validated-cache.ts, playbooks/validated-cache.ts); where entries live, which are
 * trusted, and how they are written and pruned is here, once.
 *
 * An entry stands for a check that passed, so it is used only from where nobody else could have
 * written it, as OpenSSH's StrictModes asks of ~/.ssh: the folder and every directory above it
 * owned by this user or root and not writable by others (unless sticky), the entry opened without
 * following a link, a regular file of this user's, mode 0600. Outside the built CLI (tests run the
 * sources) there is no build id, and no cache: an entry is only ever valid for the build that wrote it.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { runningBuild } from '../version.js';

/** Entries kept at most per folder (one per input path; the oldest go first): tests and benches make many paths. */
const MAX_ENTRIES = 32;

/** Where one input file's entry is, and the key its content must carry. */
export interface CacheSlot {
  dir: string;
  path: string;
  key: string;
}

/**
 * The cache directory: under gridops' cache, as the lab's images are ($GRIDOPS_CACHE_DIR), else
 * $XDG_CACHE_HOME/gridops, else ~/.cache/gridops; undefined where none of them is an absolute path.
 */
function cacheDir(folder: string): string | undefined {
  const { GRIDOPS_CACHE_DIR: own, XDG_CACHE_HOME: xdg } = process.env;
  const base = own && isAbsolute(own) ? own : xdg && isAbsolute(xdg) ? join(xdg, 'gridops') : isAbsolute(homedir()) ? join(homedir(), '.cache', 'gridops') : undefined;
  return base && join(base, folder);
}

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

/**
 * The slot of `file`'s entry in `folder`, keyed by what every check of a file depends on: the
 * entry's `format`, gridops' build, the file's path as given (problems name it) and as resolved
 * (relative paths in it resolve from its folder), the home directory (`~/` in paths) and its
 * `text`. Undefined where there is no cache: no build id, or no absolute cache directory.
 */
export function cacheSlot(folder: string, format: string, file: string, text: string): CacheSlot | undefined {
  const build = runningBuild();
  const dir = cacheDir(folder);
  if (!build || !dir) return undefined;
  const resolved = resolve(file);
  return { dir, path: join(dir, `${sha256(resolved).slice(0, 32)}.json`), key: sha256(JSON.stringify([format, build, file, resolved, homedir(), text])) };
}

const uid = () => process.getuid?.() ?? -1;

/** `dir` and every directory above it (links resolved): owned by this user or root, and not writable by others unless sticky (as /tmp). */
function trustedDirectory(dir: string): boolean {
  for (let d = realpathSync(dir); ; d = dirname(d)) {
    const s = lstatSync(d);
    if (!s.isDirectory() || (s.uid !== uid() && s.uid !== 0)) return false;
    if ((s.mode & 0o022) !== 0 && (s.mode & 0o1000) === 0) return false;
    if (dirname(d) === d) return true;
  }
}

/** The entry in `at` written for exactly its key, parsed; undefined on any doubt (the caller checks its shape). */
export function readCacheEntry(at: CacheSlot): Record<string, unknown> | undefined {
  let fd: number | undefined;
  try {
    if (!trustedDirectory(at.dir)) return undefined;
    fd = openSync(at.path, constants.O_RDONLY | constants.O_NOFOLLOW);
    const s = fstatSync(fd);
    if (!s.isFile() || s.uid !== uid() || (s.mode & 0o077) !== 0) return undefined;
    const entry: unknown = JSON.parse(readFileSync(fd, 'utf8'));
    if (typeof entry !== 'object' || entry === null || (entry as { key?: unknown }).key !== at.key) return undefined;
    return entry as Record<string, unknown>;
  } catch {
    return undefined; // none yet, unreadable, or torn: check as without a cache
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Keeps `body` under `at`'s key, replacing the entry for this path: written whole to a temp file
 * and renamed, synchronously (a run may end soon after its validation, and must leave no temp
 * file), without fsync (a cache: an entry torn by a crash is checked again). Beyond MAX_ENTRIES,
 * the oldest entries of the folder go. Nothing here fails a run: a cache that cannot be written (a
 * home that cannot be entered, a full disk) costs the next run its check, nothing else.
 */
export function writeCacheEntry(at: CacheSlot, body: object): void {
  const tmp = `${at.path}.${process.pid}.tmp`;
  try {
    mkdirSync(at.dir, { recursive: true, mode: 0o700 });
    if (!trustedDirectory(at.dir)) return;
    writeFileSync(tmp, JSON.stringify({ key: at.key, ...body }), { mode: 0o600, flag: 'wx' });
    renameSync(tmp, at.path);
    pruneOldest(at.dir);
  } catch {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // not even that: the entry was never usable
    }
  }
}

/** Removes the oldest entries beyond MAX_ENTRIES. */
function pruneOldest(dir: string): void {
  const entries = readdirSync(dir).filter((f) => /^[0-9a-f]{32}\.json$/.test(f));
  if (entries.length <= MAX_ENTRIES) return;
  const byAge = entries.map((f) => ({ f, t: statSync(join(dir, f)).mtimeMs })).sort((a, b) => a.t - b.t);
  for (const { f } of byAge.slice(0, entries.length - MAX_ENTRIES)) rmSync(join(dir, f), { force: true });
}
