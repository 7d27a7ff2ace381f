import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSshConfig, sshConfigFor } from '../../src/transport/ssh-config.js';
import { sshClientMissing, sshDashG } from '../support/ssh-dash-g.js';

/**
 * `Match host` and `Match originalhost` ignore case in OpenSSH (readconf.c lowers both the name and
 * the patterns): `Match host x*` applies to X1, `Match host WEB*` to a HostName web1. `Host` lines
 * do not (`Host x*` is not X1's). Pinned against ssh -G.
 */
describe('case in ~/.ssh/config Match host and originalhost', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-match-case-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (lines: string[]) => {
    const file = join(dir, 'config');
    writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
    return file;
  };
  /** gridops' values for `host` (named and dialled so), beside ssh -G's; ssh -G prints the HostName lower-cased. */
  const compared = (file: string, host: string) => {
    const warnings: string[] = [];
    const ours = sshConfigFor(loadSshConfig(file, (m) => warnings.push(m), dir), { name: host, address: host });
    expect(warnings).toEqual([]);
    const ssh = sshDashG(file, host);
    return {
      ours: { host, hostname: (ours.hostName ?? host).toLowerCase(), user: ours.user ?? ssh.user, port: ours.port ?? 22, identityfile: ours.identityFiles?.[0] },
      ssh: { host, hostname: ssh.hostname, user: ssh.user, port: ssh.port, identityfile: ssh.identityfile },
    };
  };

  (sshClientMissing ? it.skip : it)('is ignored in Match host and originalhost patterns and names, not in Host lines, as ssh -G judges them', () => {
    const file = write([
      'Host Alias',
      '  HostName Web1',
      'Host x*',
      '  IdentityFile /keys/host-line',
      'Match host x*',
      '  Port 1001',
      'Match originalhost X?,!xz',
      '  User original',
      'Match host WEB*',
      '  Port 1002',
      'Match host db*,!DB9',
      '  Port 1003',
      'Host *',
      '  IdentityFile /keys/fleet',
    ]);
    for (const host of ['x1', 'X1', 'XZ', 'xyz', 'Alias', 'alias', 'web1', 'Web2', 'DB1', 'db9', 'Db9']) {
      const { ours, ssh } = compared(file, host);
      expect(ours).toEqual(ssh);
    }
    // The cases named: `Match host x*` is X1's; `Host x*` is not.
    expect(sshConfigFor(loadSshConfig(file, () => undefined, dir), { name: 'X1', address: 'X1' })).toMatchObject({ port: 1001, user: 'original', identityFiles: ['/keys/fleet'] });
  });

  (sshClientMissing ? it.skip : it)('in a Match final pass too, judging the HostName the first pass gave', () => {
    const file = write(['Host alias', '  HostName Web1', 'Match final host web*', '  Port 2001', 'Match final originalhost ALIAS', '  User fin', 'Host *', '  IdentityFile /keys/fleet']);
    for (const host of ['alias', 'web1', 'WEB2']) {
      const { ours, ssh } = compared(file, host);
      expect(ours).toEqual(ssh);
    }
  });
});
