/**
 * A topology that validated, kept per user so that a `plan` or an `apply` of the same file skips
 * its parse and its checks: they are most of a 50-node run's validation (the position-keeping YAML
 * parse and the schema's validator, loaded and run cold), and every connection waits for them.
 *
 * An entry is used only where everything the result depends on is the same: the file's bytes, its
 * path as given (positions name it) and as resolved (relative paths in it resolve from its folder),
 * the home directory (`~/` in paths), and gridops' own build: the id the build writes
 * (dist/build-id: a hash of the bundle, the schema's validators, the published schema and
 * package.json, so another version or build is another key), with where it is installed. Outside
 * the built CLI (tests run the sources) there is no build id, and no cache. Only a grid with no
 * problem is kept: a file with errors is checked again on every run, and `gridops validate` always
 * checks in full.
 *
 * An entry is trusted as a validated grid (addresses, known_hosts, jump hosts), so it is used only
 * from where nobody else could have written it, as OpenSSH's StrictModes asks of ~/.ssh: the
 * directory topology/ of gridops' cache ($GRIDOPS_CACHE_DIR, $XDG_CACHE_HOME/gridops or
 * ~/.cache/gridops) and every directory above it owned by
 * this user or root and not writable by others (unless sticky), the entry opened without following
 * a link, a regular file of this user's, mode 0600.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Problem } from '../errors/problem.js';
import type { Grid } from './model.js';
import { runningBuild } from '../version.js';

/** Changes when an entry's shape does. */
const ENTRY_FORMAT = 'gridops-validated-topology/1';
/** Entries kept at most (one per topology path; the oldest go first): tests and benches make many paths. */
const MAX_ENTRIES = 32;

/** What a validation that found no problem returns. */
export interface ValidatedTopology {
  grid: Grid;
  warnings: Problem[];
}

interface Entry extends ValidatedTopology {
  key: string;
}

/**
 * The cache directory: under gridops' cache, as the lab's images are ($GRIDOPS_CACHE_DIR), else
 * $XDG_CACHE_HOME/gridops, else ~/.cache/gridops; undefined where none of them is an absolute path.
 */
function cacheDir(): string | undefined {
  const { GRIDOPS_CACHE_DIR: own, XDG_CACHE_HOME: xdg } = process.env;
  const base = own && isAbsolute(own) ? own : xdg && isAbsolute(xdg) ? join(xdg, 'gridops') : isAbsolute(homedir()) ? join(homedir(), '.cache', 'gridops') : undefined;
  return base && join(base, 'topology');
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Where the entry for `file` is, and the key its content must carry; undefined where there is no cache. */
function slot(file: string, text: string): { dir: string; path: string; key: string } | undefined {
  const build = runningBuild();
  const dir = cacheDir();
  if (!build || !dir) return undefined;
  const resolved = resolve(file);
  return { dir, path: join(dir, `${sha256(resolved).slice(0, 32)}.json`), key: sha256(JSON.stringify([ENTRY_FORMAT, build, file, resolved, homedir(), text])) };
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

/** The validated grid and warnings kept for exactly this file, text and build; undefined on any doubt. */
export function cachedTopology(file: string, text: string): ValidatedTopology | undefined {
  const at = slot(file, text);
  if (!at) return undefined;
  let fd: number | undefined;
  try {
    if (!trustedDirectory(at.dir)) return undefined;
    fd = openSync(at.path, constants.O_RDONLY | constants.O_NOFOLLOW);
    const s = fstatSync(fd);
    if (!s.isFile() || s.uid !== uid() || (s.mode & 0o077) !== 0) return undefined;
    const entry = JSON.parse(readFileSync(fd, 'utf8')) as Partial<Entry>;
    if (entry.key !== at.key || typeof entry.grid !== 'object' || entry.grid === null || !Array.isArray(entry.grid.regions) || !Array.isArray(entry.warnings)) return undefined;
    return { grid: entry.grid, warnings: entry.warnings };
  } catch {
    return undefined; // none yet, unreadable, or torn: validate as without a cache
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Keeps a grid that validated, replacing the entry for this path: written whole to a temp file and
 * renamed, synchronously (a run may end soon after its validation, and must leave no temp file),
 * without fsync (a cache: an entry torn by a crash is checked again). Beyond MAX_ENTRIES, the
 * oldest entries go. Nothing here fails a run: a cache that cannot be written (a home that cannot
 * be entered, a full disk) costs the next run its validation, nothing else.
 */
export function keepTopology(file: string, text: string, validated: ValidatedTopology): void {
  const at = slot(file, text);
  if (!at) return;
  const tmp = `${at.path}.${process.pid}.tmp`;
  try {
    mkdirSync(at.dir, { recursive: true, mode: 0o700 });
    if (!trustedDirectory(at.dir)) return;
    const entry: Entry = { key: at.key, grid: validated.grid, warnings: validated.warnings };
    writeFileSync(tmp, JSON.stringify(entry), { mode: 0o600, flag: 'wx' });
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
