import { createRequire } from 'node:module';
import { cachedRequire, codeCacheOf } from '../cached-require.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { bundleHoldsInstalledSsh2 } from './ssh2-bundle-version.js';

/** The two parts of ssh2 a connection uses. */
interface Ssh2Client {
  Client: typeof import('ssh2').Client;
  parseKey: typeof import('ssh2').utils.parseKey;
}
let loaded: Ssh2Client | undefined;
/** Where ssh2 was loaded from: the build's bundle (with what became of its code cache) or node_modules. */
export type Ssh2Origin = { from: 'bundle'; codeCache: string } | { from: 'node_modules' };
let origin: Ssh2Origin | undefined;

/** Where this process loaded ssh2 from (`-v`'s profile), or undefined before its first connection. */
export function ssh2Origin(): Ssh2Origin | undefined {
  return origin;
}

/**
 * ssh2's client and key parser, loaded on first use: a run through the connection keeper never
 * needs them (about 0.2 s of start-up). Not ssh2's index, which also loads its server, its HTTP
 * agents (node:http, node:https) and key generation: the first handshake waits for this load, and
 * the client alone takes 14 ms less of it (50 -> 36 ms). The paths are inside ssh2's package: an
 * ssh2 that moves them (or closes them with an `exports` map) gets its index loaded instead.
 * The CLI loads them from the build's own bundle of them instead (bundledSsh2Client), when that
 * bundle holds the installed ssh2.
 */
export function ssh2Client(): Ssh2Client {
  if (!loaded) {
    loaded = bundledSsh2Client();
    if (loaded) return loaded;
    origin = { from: 'node_modules' };
    const require = createRequire(import.meta.url);
    try {
      loaded = {
        Client: require('ssh2/lib/client.js') as Ssh2Client['Client'],
        parseKey: (require('ssh2/lib/protocol/keyParser.js') as { parseKey: Ssh2Client['parseKey'] }).parseKey,
      };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw e;
      const index = require('ssh2') as typeof import('ssh2');
      loaded = { Client: index.Client, parseKey: index.utils.parseKey };
    }
  }
  return loaded;
}

/**
 * The CLI's bundle of the same two parts (dist/cli/ssh2-client.cjs, scripts/bundle-cli.js),
 * compiled from the code cache the build wrote after a connection on loopback: its load took 11 ms
 * instead of 21 (its 25 files resolved, read and compiled), and the functions a connection runs
 * come compiled; a 1-host plan's CPU went 141 -> 124 ms (2026-12-07). Undefined outside the CLI,
 * in a build without that file, or where the installed ssh2 is not the one bundled (its own load
 * is only slower than the bundle's).
 */
function bundledSsh2Client(): Ssh2Client | undefined {
  const requireCached = cachedRequire();
  if (!requireCached) return undefined;
  const bundle = `${PACKAGE_ROOT}/dist/cli/ssh2-client.cjs`;
  if (!bundleHoldsInstalledSsh2(bundle)) return undefined;
  const client = requireCached(bundle) as Ssh2Client;
  origin = { from: 'bundle', codeCache: codeCacheOf(bundle) ?? 'none' };
  return client;
}
