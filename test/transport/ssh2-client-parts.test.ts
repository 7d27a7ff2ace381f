/**
 * The transport loads ssh2's client and key parser by their paths inside the package, not its index
 * (ssh-transport.ts says why). These are the paths it uses: an ssh2 that moves or changes them fails here.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

describe("ssh2's client parts", () => {
  const index = require('ssh2') as typeof import('ssh2');

  it('lib/client.js is the Client of the index', () => {
    expect(require('ssh2/lib/client.js')).toBe(index.Client);
  });

  it('lib/protocol/keyParser.js has the parseKey of the index', () => {
    const { parseKey } = require('ssh2/lib/protocol/keyParser.js') as { parseKey: typeof index.utils.parseKey };
    expect(parseKey).toBe(index.utils.parseKey);
    // A key it parses is one ssh2's client takes: an ed25519 key in OpenSSH's format.
    const generated = index.utils.generateKeyPairSync('ed25519');
    const parsed = parseKey(generated.private);
    expect(parsed).not.toBeInstanceOf(Error);
    expect((Array.isArray(parsed) ? parsed[0] : parsed)!.type).toBe('ssh-ed25519');
  });
});
