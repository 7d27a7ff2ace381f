/**
 * A run reads the system-wide ssh_config after ~/.ssh/config, as plain `ssh` does, where it names
 * no file of its own (the Fleet's sshConfigFile, read alone as `ssh -F` reads it): Debian's stock
 * file says `HashKnownHosts yes`, so a key --accept-new-host-keys records is written hashed, as
 * ssh appends it. An ssh2 server on loopback is the host.
 */
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Fleet, type ConnectOptions } from '../../src/transport/fleet.js';
import { SYSTEM_SSH_CONFIG } from '../../src/transport/ssh-config-system-path.js';
import { nodesOf, startSsh2Server, writeKey } from './connect-support.js';

describe('the system-wide ssh_config in a run', () => {
  let dir: string;
  let savedHome: string | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-fleet-sysconfig-'));
    // A home of the test's own, with no ~/.ssh/config: the system file alone says something.
    savedHome = process.env.HOME;
    process.env.HOME = join(dir, 'home');
    mkdirSync(process.env.HOME);
  });
  afterEach(() => {
    if (savedHome === undefined) delete process.env.HOME;
    else process.env.HOME = savedHome;
    rmSync(dir, { recursive: true, force: true });
  });

  /** The known_hosts file after one run that accepts the loopback host's new key, with `options` for the ssh_config files read. */
  async function recordedLine(options: Pick<ConnectOptions, 'sshConfigFile' | 'systemSshConfigFile'>): Promise<string> {
    const key = writeKey(join(dir, 'id_n1'));
    const server = await startSsh2Server((blob) => blob.equals(key.publicBlob));
    const knownHosts = join(dir, `known_hosts_${Math.random().toString(36).slice(2)}`);
    writeFileSync(knownHosts, '');
    try {
      const fleet = new Fleet();
      const nodes = nodesOf(`port: ${server.port}, knownHosts: ${knownHosts}, identityFile: ${key.file}`, ['{ name: n1, address: 127.0.0.1 }']);
      const { results, unreachable } = await fleet.readEach(nodes, { concurrency: 1, acceptNewHostKeys: true, ...options }, async (host) => host.node.name);
      await fleet.close();
      expect({ results, unreachable: unreachable.map((u) => u.error.message) }).toEqual({ results: ['n1'], unreachable: [] });
    } finally {
      await server.stop();
    }
    return readFileSync(knownHosts, 'utf8').trim();
  }

  const debianStock = () => {
    const file = join(dir, 'ssh_config');
    writeFileSync(file, ['Include /nonexistent-gridops-test/ssh_config.d/*.conf', 'Host *', '    SendEnv LANG LC_*', '    HashKnownHosts yes', '    GSSAPIAuthentication yes', ''].join('\n'), { mode: 0o644 });
    return file;
  };

  it("with Debian's stock file, --accept-new-host-keys records the key hashed, as ssh does", async () => {
    expect(await recordedLine({ systemSshConfigFile: debianStock() })).toMatch(/^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+ ssh-ed25519 AAAA/);
  });

  describe("a unit test that names no system file reads the unit tests' own, never this machine's /etc/ssh/ssh_config", () => {
    // Written only here, and removed after: every other test of this jest worker finds nothing there.
    const ownSystemFile = SYSTEM_SSH_CONFIG;
    // Checked before anything is written or removed there: without jest.config.js's mapping it would be the machine's /etc/ssh/ssh_config.
    const testsOwn = dirname(ownSystemFile).startsWith(join(tmpdir(), 'gridops-unit-system-ssh-config-'));
    afterEach(() => {
      if (testsOwn) rmSync(dirname(ownSystemFile), { recursive: true, force: true });
    });

    it('is a path of its own, not there unless a test writes it', () => {
      expect({ ownSystemFile, testsOwn }).toEqual({ ownSystemFile: expect.not.stringMatching(/^\/etc\//), testsOwn: true });
      expect(existsSync(ownSystemFile)).toBe(false);
    });

    it('a ProxyCommand for every host there refuses the node only where that file is what the run reads', async () => {
      expect({ ownSystemFile, testsOwn }).toEqual({ ownSystemFile, testsOwn: true });
      mkdirSync(dirname(ownSystemFile), { recursive: true });
      writeFileSync(ownSystemFile, ['Host *', '    ProxyCommand false', ''].join('\n'), { mode: 0o644 });
      // A loopback port nothing listens on: a run that takes no ProxyCommand fails to connect there, and says so.
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      const nodes = nodesOf(`port: ${port}, knownHosts: ${join(dir, 'known_hosts')}`, ['{ name: n1, address: 127.0.0.1 }']);
      const unreachable = async (options: Pick<ConnectOptions, 'systemSshConfigFile'>) => {
        const fleet = new Fleet();
        const run = await fleet.readEach(nodes, { concurrency: 1, acceptNewHostKeys: false, ...options }, async () => 'read');
        await fleet.close();
        return run.unreachable.map((u) => u.error.message);
      };
      // Named by default: the run reads it, and refuses the route.
      expect(await unreachable({})).toEqual([expect.stringContaining(`the ProxyCommand at ${ownSystemFile}:2 reaches 127.0.0.1`)]);
      // Another system file named: this one is not read.
      const empty = join(dir, 'empty_ssh_config');
      writeFileSync(empty, '', { mode: 0o644 });
      expect(await unreachable({ systemSshConfigFile: empty })).toEqual([expect.not.stringContaining('ProxyCommand')]);
    });
  });

  it('with a file of its own named (as `ssh -F`), the system file is not read: the key is recorded as written', async () => {
    const own = join(dir, 'own_ssh_config');
    writeFileSync(own, '', { mode: 0o600 });
    expect(await recordedLine({ sshConfigFile: own, systemSshConfigFile: debianStock() })).toMatch(/^\[127\.0\.0\.1\]:\d+ ssh-ed25519 AAAA/);
  });
});
