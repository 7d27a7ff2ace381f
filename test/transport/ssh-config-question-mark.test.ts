import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSshConfig, sshConfigFor } from '../../src/transport/ssh-config.js';
import { sshClientMissing, sshDashG } from '../support/ssh-dash-g.js';

/**
 * A `?` in a pattern matches exactly one character, as OpenSSH's match_pattern (match.c) has it,
 * not "one or none" as the ssh-config parser's glob has it: `Host web?` applies to web1, not to web
 * nor web12. So wherever a pattern is judged: a Host line, a negated pattern, a Match criterion
 * (against the host, or a HostName the file set), a block a large file's lookup pre-filters, and a
 * block inside a block (an Include under `Host`).
 */
describe('a `?` in a ~/.ssh/config pattern', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-question-mark-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, lines: string[]) => {
    const file = join(dir, name);
    writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
    return file;
  };
  /** gridops' values for `host` (named and dialled so), beside ssh -G's for it. */
  const compared = (file: string, host: string) => {
    const warnings: string[] = [];
    const ours = sshConfigFor(loadSshConfig(file, (m) => warnings.push(m), dir), { name: host, address: host });
    expect(warnings).toEqual([]);
    const ssh = sshDashG(file, host);
    return {
      ours: { host, hostname: ours.hostName ?? host, user: ours.user ?? ssh.user, port: ours.port ?? 22, identityfile: ours.identityFiles?.[0] },
      ssh: { host, hostname: ssh.hostname, user: ssh.user, port: ssh.port, identityfile: ssh.identityfile },
    };
  };
  const hosts = ['web', 'web1', 'web12', 'web2', 'db', 'db1', 'db12', 'alias', 'alias1'];

  (sshClientMissing ? it.skip : it)('matches one character exactly, in Host, negated and Match patterns, as ssh -G judges them', () => {
    const file = write('config', [
      'Host web?',
      '  Port 1001',
      'Host !db? db*',
      '  User notone',
      'Host alias?',
      '  HostName web12',
      'Match host web?2',
      '  Port 1002',
      'Match originalhost db??',
      '  IdentityFile /keys/two',
      'Host *',
      '  IdentityFile /keys/fleet',
    ]);
    for (const host of hosts) {
      const { ours, ssh } = compared(file, host);
      expect(ours).toEqual(ssh);
    }
    // The case named in the bug: web? is web1's block only.
    expect(compared(file, 'web').ours.port).toBe(22);
    expect(compared(file, 'web1').ours.port).toBe(1001);
    expect(compared(file, 'web12').ours.port).toBe(1002);
  });

  (sshClientMissing ? it.skip : it)('matches one character exactly in the second pass a `Match final` makes, where Host lines judge the HostName', () => {
    const file = write('config', ['Host alias?', '  HostName web12', 'Match final', '  IdentityFile /keys/final', 'Host web??', '  Port 1005', 'Host web?', '  Port 1006']);
    for (const host of ['alias', 'alias1', 'web', 'web1', 'web12']) {
      const { ours, ssh } = compared(file, host);
      expect(ours).toEqual(ssh);
    }
    expect(compared(file, 'alias1').ours.port).toBe(1005);
  });

  (sshClientMissing ? it.skip : it)('matches one character exactly in a block inside a block and in a file large enough to be pre-filtered', () => {
    const inner = write('inner', ['Host web?', '  Port 1003', 'Host !web? *', '  User notone']);
    const blocks = Array.from({ length: 40 }, (_, i) => [`Host other${i}`, `  Port ${3000 + i}`]).flat();
    const file = write('config', [...blocks, 'Host web*', `  Include ${inner}`, 'Host web??', '  IdentityFile /keys/two', 'Host *', '  IdentityFile /keys/fleet']);
    for (const host of ['web', 'web1', 'web12']) {
      const { ours, ssh } = compared(file, host);
      expect(ours).toEqual(ssh);
    }
  });

  (sshClientMissing ? it.skip : it)('judges a name or user that holds a `?` itself, the `?` of the pattern matching it as one character', () => {
    // ssh matches `ad?n` against the user ad?n, and `w??b` against the HostName we?b; the user adn is not matched by `ad?n`.
    const file = write('config', ['Host one', '  User ad?n', 'Host two', '  User adn', 'Host w*', '  HostName we?b', 'Match host w??b', '  Port 1001', 'Match user ad?n', '  IdentityFile /keys/one-char', 'Match user !ad?n,ad*', '  Port 1003', 'Host *', '  IdentityFile /keys/fleet']);
    for (const host of ['one', 'two', 'w', 'web', 'x']) {
      const { ours, ssh } = compared(file, host);
      expect(ours).toEqual(ssh);
    }
    expect(compared(file, 'one').ours.identityfile).toBe('/keys/one-char');
    expect(compared(file, 'two').ours.port).toBe(1003);
    expect(compared(file, 'web').ours.port).toBe(1001);
  });
});
