/**
 * A topology that validated, kept per user so that a `plan` or an `apply` of the same file skips
 * its parse and its checks: they are most of a 50-node run's validation (the position-keeping YAML
 * parse and the schema's validator, loaded and run cold), and every connection waits for them.
 *
 * An entry is used only where everything the result depends on is the same: the file's bytes, its
 * path as given (positions name it) and as resolved (relative paths in it resolve from its folder),
 * the home directory (`~/` in paths), and gridops' own build (bin/run.js gives the bundle's size and
 * time: a new build or version is another key). Outside the bundled CLI (tests run the sources)
 * there is no build to key on, and no cache. Only a grid with no problem is kept: a file with
 * errors is checked again on every run, and `gridops validate` always checks in full.
 *
 * It lives in $XDG_CACHE_HOME/gridops/topology (~/.cache/...), one entry per topology path, in a
 * directory of the user's own that nobody else may write: an entry is trusted as a validated grid.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Problem } from '../errors/problem.js';
import type { Grid } from './model.js';

/** Changes when an entry's shape does. */
const ENTRY_FORMAT = 'gridops-validated-topology/1';

/** What a validation that found no problem returns. */
export interface ValidatedTopology {
  grid: Grid;
  warnings: Problem[];
}

interface Entry extends ValidatedTopology {
  key: string;
}

/** bin/run.js's stamp of the running bundle (its size and mtime), or undefined outside it. */
function buildStamp(): string | undefined {
  const stamp = (globalThis as Record<symbol, unknown>)[Symbol.for('gridops.build')];
  return typeof stamp === 'string' && stamp !== '' ? stamp : undefined;
}

function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME && process.env.XDG_CACHE_HOME.startsWith('/') ? process.env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'gridops', 'topology');
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Where the entry for `file` is, and the key its content must carry; undefined where there is no cache. */
function slot(file: string, text: string): { path: string; key: string } | undefined {
  const build = buildStamp();
  if (!build) return undefined;
  const resolved = resolve(file);
  return { path: join(cacheDir(), `${sha256(resolved).slice(0, 32)}.json`), key: sha256(JSON.stringify([ENTRY_FORMAT, build, file, resolved, homedir(), text])) };
}

/** A directory or file only this user may write (and owns): anything else is not trusted. */
function ownedAndPrivate(path: string): boolean {
  const s = statSync(path);
  return s.uid === process.getuid?.() && (s.mode & 0o022) === 0;
}

/** The validated grid and warnings kept for exactly this file, text and build; undefined on any doubt. */
export function cachedTopology(file: string, text: string): ValidatedTopology | undefined {
  const at = slot(file, text);
  if (!at) return undefined;
  try {
    if (!ownedAndPrivate(cacheDir()) || !ownedAndPrivate(at.path)) return undefined;
    const entry = JSON.parse(readFileSync(at.path, 'utf8')) as Partial<Entry>;
    if (entry.key !== at.key || typeof entry.grid !== 'object' || entry.grid === null || !Array.isArray(entry.grid.regions) || !Array.isArray(entry.warnings)) return undefined;
    return { grid: entry.grid, warnings: entry.warnings };
  } catch {
    return undefined; // none yet, unreadable, or torn: validate as without a cache
  }
}

/**
 * Keeps a grid that validated, replacing the entry for this path: written whole to a temp file and
 * renamed, synchronously (a run may end soon after its validation, and must leave no temp file),
 * without fsync (a cache: an entry torn by a crash is checked again). Errors are ignored: a cache
 * that cannot be written costs the next run its validation, nothing else.
 */
export function keepTopology(file: string, text: string, validated: ValidatedTopology): void {
  const at = slot(file, text);
  if (!at) return;
  const tmp = `${at.path}.${process.pid}.tmp`;
  try {
    mkdirSync(cacheDir(), { recursive: true, mode: 0o700 });
    if (!ownedAndPrivate(cacheDir())) return;
    const entry: Entry = { key: at.key, grid: validated.grid, warnings: validated.warnings };
    writeFileSync(tmp, JSON.stringify(entry), { mode: 0o600 });
    renameSync(tmp, at.path);
  } catch {
    rmSync(tmp, { force: true }); // a read-only or full home: no cache
  }
}
