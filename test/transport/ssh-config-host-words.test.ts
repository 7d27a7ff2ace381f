import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSshConfig, sshConfigFor } from '../../src/transport/ssh-config.js';
import { sshClientMissing, sshDashG } from '../support/ssh-dash-g.js';

/**
 * A Host line's patterns are its whitespace-separated words, as OpenSSH's readconf.c reads them: a
 * comma is part of a pattern (`Host w?b1,zz` matches no host name, since none holds a comma), where a
 * Match criterion's list is split at commas (`Match host m1,m2`). So wherever gridops judges a Host
 * line: the parser's compute(), the candidate blocks a lookup is given, and a block holding blocks.
 */
describe('a comma in a ~/.ssh/config Host line', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-host-words-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, lines: string[]) => {
    const file = join(dir, name);
    writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
    return file;
  };

  (sshClientMissing ? it.skip : it)('is part of its pattern, not a separator between two, as ssh -G judges it; a Match list is split at commas', () => {
    const inner = write('inner', ['Host *', '  User nested']);
    const file = write('config', [
      'Host w?b1,zz',
      '  Port 1001',
      'Host a,b c',
      '  Port 1002',
      'Match host m1,m2',
      '  Port 1003',
      'Host web1,zz',
      '  Port 1004',
      'Host n1,n2',
      `  Include ${inner}`,
      'Host *',
      '  IdentityFile /keys/fleet',
    ]);
    const warnings: string[] = [];
    const config = loadSshConfig(file, (m) => warnings.push(m), dir);
    // Each such line is said once, at its line, with the list it was likely meant as; a Match list's comma is not.
    expect(warnings).toEqual([
      `${file}:1: Host w?b1,zz: ssh reads a comma as part of the name, so this matches no host; write \`Host w?b1 zz\``,
      `${file}:3: Host a,b c: ssh reads a comma as part of the name, so a,b matches no host; write \`Host a b c\``,
      `${file}:7: Host web1,zz: ssh reads a comma as part of the name, so this matches no host; write \`Host web1 zz\``,
      `${file}:9: Host n1,n2: ssh reads a comma as part of the name, so this matches no host; write \`Host n1 n2\``,
    ]);
    for (const host of ['web1', 'zz', 'wxb1', 'a', 'b', 'c', 'm1', 'm2', 'n1', 'n2']) {
      const ours = sshConfigFor(config, { name: host, address: host });
      const ssh = sshDashG(file, host);
      expect({ host, user: ours.user ?? ssh.user, port: ours.port ?? 22, identityfile: ours.identityFiles?.[0] }).toEqual({ host, user: ssh.user, port: ssh.port, identityfile: ssh.identityfile });
    }
    // The cases named in the review: ssh matched none of these, gridops matched all three.
    for (const host of ['web1', 'zz', 'wxb1']) expect(sshConfigFor(config, { name: host, address: host }).port).toBeUndefined();
    expect(sshConfigFor(config, { name: 'm2', address: 'm2' }).port).toBe(1003);
    expect(sshConfigFor(config, { name: 'n1', address: 'n1' }).user).toBeUndefined();
  });
});
