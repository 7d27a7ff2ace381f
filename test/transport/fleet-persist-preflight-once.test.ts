/**
 * With --persist, a keeper that cannot be attached sends the run to direct connections: the
 * identity pre-flight (the missing ssh_config keys skipped, the files checked) is not run again
 * for them, so a missing IdentityFile is said once and its file looked at once; and each node's
 * connection target (topology with ~/.ssh/config) is worked out once, not again for the sources
 * of its identity files.
 */
import { jest } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as realSshConfig from '../../src/transport/ssh-config.js';
import * as realMissing from '../../src/transport/missing-config-identities.js';

// Each call counted; the work itself is the real one.
let targetsWorkedOut = 0;
let preflights = 0;
jest.unstable_mockModule('../../src/transport/ssh-config.js', () => ({
  ...realSshConfig,
  connectionTarget: (...args: Parameters<typeof realSshConfig.connectionTarget>) => {
    targetsWorkedOut++;
    return realSshConfig.connectionTarget(...args);
  },
}));
jest.unstable_mockModule('../../src/transport/missing-config-identities.js', () => ({
  ...realMissing,
  withoutMissingConfigIdentities: (...args: Parameters<typeof realMissing.withoutMissingConfigIdentities>) => {
    preflights++;
    return realMissing.withoutMissingConfigIdentities(...args);
  },
}));
const { Fleet } = await import('../../src/transport/fleet.js');
const { DEFAULT_GLOBAL_KNOWN_HOSTS } = await import('../../src/transport/global-known-hosts.js');
const { keeperSocket } = await import('../../src/transport/keeper-protocol.js');
const { readKnownHostsTexts } = await import('../../src/transport/known-hosts.js');
const { nodesOf, writeKey } = await import('./connect-support.js');

describe('--persist with a keeper that cannot be attached, and a missing IdentityFile of ~/.ssh/config', () => {
  let dir: string;
  let saved: string | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-persist-preflight-'));
    saved = process.env.GRIDOPS_KEEPER_DIR;
    process.env.GRIDOPS_KEEPER_DIR = join(dir, 'keeper');
    mkdirSync(join(dir, 'keeper'), { mode: 0o700 });
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.GRIDOPS_KEEPER_DIR;
    else process.env.GRIDOPS_KEEPER_DIR = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it('warns once, runs the pre-flight once and works out each node\'s target once', async () => {
    const knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, '');
    // Something that is not a socket at the keeper's name: it cannot be attached, and the run connects directly.
    writeFileSync(keeperSocket(join(dir, 'keeper'), readKnownHostsTexts({ writable: knownHosts, readOnly: DEFAULT_GLOBAL_KNOWN_HOSTS })), '');
    const key = writeKey(join(dir, 'id_there'));
    const gone = join(dir, 'id_gone');
    const sshConfigFile = join(dir, 'ssh_config');
    writeFileSync(sshConfigFile, ['Host *', `  IdentityFile ${gone}`, `  IdentityFile ${key.file}`, ''].join('\n'), { mode: 0o600 });
    const nodes = nodesOf(`port: 1, knownHosts: ${knownHosts}`, ['{ name: n1, address: 127.0.0.1 }', '{ name: n2, address: 127.0.0.2 }']);
    const said: string[] = [];
    const stop = new AbortController();
    // Stopped before any handshake: the pre-flight is what is looked at.
    stop.abort();
    const fleet = new Fleet();
    targetsWorkedOut = 0;
    preflights = 0;
    await fleet.readEach(nodes, { concurrency: 2, acceptNewHostKeys: false, persistMs: 60_000, signal: stop.signal, sshConfigFile, warn: (m) => said.push(`warning: ${m}`) }, async () => 'read');
    await fleet.close();
    expect(said.filter((m) => m.includes('id_gone'))).toEqual([`warning: ${sshConfigFile}:2: IdentityFile ${gone} is not there (ENOENT); skipped for n1 and n2, as ssh skips it; create it or remove that line to silence this`]);
    expect(said.filter((m) => m.includes('--persist'))).toHaveLength(1);
    expect(preflights).toBe(1);
    expect(targetsWorkedOut).toBe(nodes.length);
  });
});
