import { jest } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSshConfig, sshConfigFor } from '../../src/transport/ssh-config.js';
import { sshClientMissing, sshDashG } from '../support/ssh-dash-g.js';

/**
 * `Match user` judges one login user wherever gridops judges the file for a node: in deciding
 * whether a block of the address's own matches it (`ssh ADDRESS`'s lookup, else `ssh NAME`'s) as
 * in the lookup that gives the values. A top-level `User` (before any block, or in `Host *`) is
 * the user a later `Match user` judges, as ssh judges it.
 */
describe('`Match user` decides a block of the address the same way everywhere', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-match-user-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  /** Writes `lines` to DIR/NAME, not writable by group or others (ssh, and gridops, refuse such a file); returns its path. */
  const write = (name: string, lines: string[]) => {
    const file = join(dir, name);
    writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
    return file;
  };
  /** What gridops takes for web1, dialled at 10.0.0.5, in ssh -G's terms. */
  const oursFor = (file: string) => {
    const warnings: string[] = [];
    const ours = sshConfigFor(loadSshConfig(file, (m) => warnings.push(m), dir), { name: 'web1', address: '10.0.0.5' });
    expect(warnings).toEqual([]);
    return { hostname: ours.hostName ?? '10.0.0.5', user: ours.user, port: ours.port ?? 22, proxyjump: ours.proxyJump };
  };
  const sshFor = (file: string) => {
    const { hostname, user, port, proxyjump } = sshDashG(file, '10.0.0.5');
    return { hostname, user, port, proxyjump };
  };

  (sshClientMissing ? it.skip : it)("an address's block an Include opens under a catch-all `Match user`, which the file's top-level User decides", () => {
    const hosts = write('hosts.conf', ['Host 10.0.0.5', '  HostName real5.internal', '  Port 2205', '  ProxyJump hop@gw.example.org']);
    const file = write('config', ['User deploy', 'Host web1', '  Port 1001', 'Match user deploy', `  Include ${hosts}`]);
    expect(oursFor(file)).toEqual(sshFor(file));
    expect(oursFor(file)).toEqual({ hostname: 'real5.internal', user: 'deploy', port: 2205, proxyjump: 'hop@gw.example.org' });
  });

  (sshClientMissing ? it.skip : it)('a `Match user ... host ADDRESS` block, which the User of a `Host *` above it decides', () => {
    const file = write('config', ['Host web1', '  Port 1001', 'Host *', '  User deploy', 'Match user deploy host 10.0.0.5', '  HostName real5.internal', '  Port 2205', '  ProxyJump hop@gw.example.org']);
    expect(oursFor(file)).toEqual(sshFor(file));
    expect(oursFor(file)).toEqual({ hostname: 'real5.internal', user: 'deploy', port: 2205, proxyjump: 'hop@gw.example.org' });
  });

  (sshClientMissing ? it.skip : it)('a top-level User that a `Match user` of the address does not name leaves the node to its name, as for `ssh NAME`', () => {
    const file = write('config', ['User deploy', 'Host web1', '  Port 1001', 'Match user root host 10.0.0.5', '  HostName real5.internal', '  Port 2299']);
    // The address's lookup finds no block of its own: ssh -G 10.0.0.5 gives none of 2299's block either.
    expect(sshFor(file)).toMatchObject({ hostname: '10.0.0.5', port: 22 });
    expect(oursFor(file)).toEqual({ hostname: '10.0.0.5', user: 'deploy', port: 1001, proxyjump: undefined });
  });

  describe('with a local user other than root, as most operators are', () => {
    // The parser judges `Match user` against os.userInfo() where no user is given.
    const os = createRequire(import.meta.url)('node:os') as typeof import('node:os');
    let localUser: ReturnType<typeof jest.spyOn>;
    beforeEach(() => {
      localUser = jest.spyOn(os, 'userInfo').mockReturnValue({ username: 'alice', uid: 1000, gid: 1000, shell: '/bin/sh', homedir: '/home/alice' });
    });
    afterEach(() => localUser.mockRestore());

    it("where the file names no User, the address's own `Match user root` block is judged as root, gridops' login user, not as the local user", () => {
      const file = write('config', ['Host web1', '  Port 1001', 'Match user root host 10.0.0.5', '  HostName real5.internal', '  Port 2205']);
      expect(oursFor(file)).toEqual({ hostname: 'real5.internal', user: undefined, port: 2205, proxyjump: undefined });
    });
  });
});
