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
 * An entry is trusted as a validated grid (addresses, known_hosts, jump hosts), so it lives in
 * topology/ of gridops' private cache, used only where nobody else could have written it
 * (fs/private-cache.ts).
 */
import type { Problem } from '../errors/problem.js';
import { cacheSlot, readCacheEntry, writeCacheEntry } from '../fs/private-cache.js';
import type { Grid } from './model.js';

/** Changes when an entry's shape does. */
const ENTRY_FORMAT = 'gridops-validated-topology/1';
const FOLDER = 'topology';

/** What a validation that found no problem returns. */
export interface ValidatedTopology {
  grid: Grid;
  warnings: Problem[];
}

/** The validated grid and warnings kept for exactly this file, text and build; undefined on any doubt. */
export function cachedTopology(file: string, text: string): ValidatedTopology | undefined {
  const at = cacheSlot(FOLDER, ENTRY_FORMAT, file, text);
  const entry = at && (readCacheEntry(at) as Partial<ValidatedTopology> | undefined);
  if (!entry || typeof entry.grid !== 'object' || entry.grid === null || !Array.isArray(entry.grid.regions) || !Array.isArray(entry.warnings)) return undefined;
  return { grid: entry.grid, warnings: entry.warnings };
}

/** Keeps a grid that validated, replacing the entry for this path; never fails the run (writeCacheEntry). */
export function keepTopology(file: string, text: string, validated: ValidatedTopology): void {
  const at = cacheSlot(FOLDER, ENTRY_FORMAT, file, text);
  if (at) writeCacheEntry(at, { grid: validated.grid, warnings: validated.warnings });
}
