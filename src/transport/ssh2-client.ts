import { createRequire } from 'node:module';

/** The two parts of ssh2 a connection uses. */
interface Ssh2Client {
  Client: typeof import('ssh2').Client;
  parseKey: typeof import('ssh2').utils.parseKey;
}
let loaded: Ssh2Client | undefined;
/**
 * ssh2's client and key parser, loaded on first use: a run through the connection keeper never
 * needs them (about 0.2 s of start-up). Not ssh2's index, which also loads its server, its HTTP
 * agents (node:http, node:https) and key generation: the first handshake waits for this load, and
 * the client alone takes 14 ms less of it (50 -> 36 ms). The paths are inside ssh2's package: an
 * ssh2 that moves them (or closes them with an `exports` map) gets its index loaded instead.
 */
export function ssh2Client(): Ssh2Client {
  if (!loaded) {
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
