/** bin/require-cached.js's loader: runs a CommonJS file of the build compiled from its V8 code cache. */
type RequireCached = (file: string) => unknown;

/**
 * The CLI's loader of the build's CommonJS files from their code caches (bin/require-cached.js puts it on
 * globalThis before the bundle runs), or undefined outside the CLI (the tests, the keeper, the
 * bench's floor), which require() those files or their packages as usual.
 */
export function cachedRequire(): RequireCached | undefined {
  return (globalThis as Record<symbol, unknown>)[Symbol.for('gridops.requireCached')] as RequireCached | undefined;
}

/**
 * What became of `file`'s code cache when the CLI's loader ran it (`used`, `rejected` or `none`, as
 * bin/require-cached.js records it), or undefined for a file it has not run.
 */
export function codeCacheOf(file: string): string | undefined {
  const caches = (globalThis as Record<symbol, unknown>)[Symbol.for('gridops.codeCaches')] as ReadonlyMap<string, string> | undefined;
  return caches?.get(file);
}
