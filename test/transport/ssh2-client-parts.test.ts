/**
 * The transport loads ssh2's client and key parser by their paths inside the package, not its index
 * (ssh2-client.ts says why). These are the paths it uses: an ssh2 that moves or changes them fails here.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ed25519Pair } from '../support/ssh2-ed25519.js';

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
    const generated = ed25519Pair();
    const parsed = parseKey(generated.private);
    expect(parsed).not.toBeInstanceOf(Error);
    expect((Array.isArray(parsed) ? parsed[0] : parsed)!.type).toBe('ssh-ed25519');
  });

  it("the transport's loader takes them without loading ssh2's index, server or HTTP agents", () => {
    // In a fresh process (this one has loaded the index above): what the built transport loads,
    // its modules all imported (none may load the index) and then its loader run.
    const transport = fileURLToPath(new URL('../../dist/transport/ssh-transport.js', import.meta.url));
    const loader = fileURLToPath(new URL('../../dist/transport/ssh2-client.js', import.meta.url));
    const probe = `await import(${JSON.stringify(transport)}); const { ssh2Client } = await import(${JSON.stringify(loader)}); const { Client, parseKey } = ssh2Client();
const loaded = Object.keys((await import('node:module')).createRequire(import.meta.url).cache).filter((f) => f.includes('/ssh2/lib/')).map((f) => f.replace(/.*\\/ssh2\\/lib\\//, ''));
console.log(JSON.stringify({ client: typeof Client, parseKey: typeof parseKey, loaded }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { client: string; parseKey: string; loaded: string[] };
    expect(out).toMatchObject({ client: 'function', parseKey: 'function' });
    expect(out.loaded).toContain('client.js');
    expect(out.loaded).not.toContain('index.js');
    expect(out.loaded).not.toContain('server.js');
    expect(out.loaded).not.toContain('http-agents.js');
  });
});
