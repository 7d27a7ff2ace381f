import { createRequire } from 'node:module';
import { cachedRequire } from '../cached-require.js';
import { PACKAGE_ROOT } from '../package-root.js';

/**
 * Loads a validator file scripts/compile-schemas.js wrote under dist/schema-validators/ (throws
 * when there is none): through bin/run.js's code cache when the CLI runs (the build writes one for each validator a `validate` run uses) (the topology's validator
 * took 9-13 ms to load and 13-24 ms more to compile lazily on its first check), else with require().
 */
export function loadValidatorFile(fileName: string): unknown {
  const file = `${PACKAGE_ROOT}/dist/schema-validators/${fileName}`;
  const requireCached = cachedRequire();
  return requireCached ? requireCached(file) : createRequire(import.meta.url)(file);
}
