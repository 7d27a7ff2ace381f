import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory of gridops' own package.json, found by walking up from this module, so paths
 * to templates/ and playbooks/ hold from src/ (tests), dist/ (tsc) and the bundled CLI alike.
 */
export const PACKAGE_ROOT: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate) && JSON.parse(readFileSync(candidate, 'utf8')).name === 'gridops') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('gridops: cannot find its own package.json');
    dir = parent;
  }
})();
