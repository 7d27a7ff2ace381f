import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSshConfig, sshConfigFor } from '../../src/transport/ssh-config.js';
import { sshClientMissing } from '../support/ssh-dash-g.js';

/**
 * `all` on a Match line stands last, after one criterion at most, or ssh refuses the whole file
 * ("'all' cannot be combined with other Match attributes"): gridops refuses exactly the lines ssh
 * refuses, with the FILE:LINE and the line to write instead, and reads the others as ssh does.
 * Each line is pinned against `ssh -G -F FILE HOST`.
 */
describe('where `all` stands on a Match line', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-match-all-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const fileWith = (match: string) => {
    const file = join(dir, 'config');
    writeFileSync(file, ['Host *', '  Port 2200', match, '  User deploy', ''].join('\n'), { mode: 0o600 });
    return file;
  };
  const sshRefuses = (file: string) => spawnSync('ssh', ['-G', '-F', file, 'web1'], { encoding: 'utf8' }).stderr.includes("cannot be combined with other Match attributes");
  const sshUser = (file: string) => /^user (.*)$/m.exec(spawnSync('ssh', ['-G', '-F', file, 'web1'], { encoding: 'utf8' }).stdout)?.[1];

  const refused = ['Match all final', 'Match all canonical', 'Match canonical final all', 'Match final canonical all', 'Match all all', 'Match all host web1', 'Match final all host web1', 'Match ALL FINAL'];
  const accepted = ['Match all', 'Match final all', 'Match Final All', 'Match canonical all', 'Match host web1 all', 'Match host other all', 'Match all # every host'];

  (sshClientMissing ? it.skip : it)('refuses the lines ssh refuses, at their FILE:LINE, saying what to write instead', () => {
    for (const match of refused) {
      const file = fileWith(match);
      expect({ match, sshRefuses: sshRefuses(file) }).toEqual({ match, sshRefuses: true });
      expect(() => loadSshConfig(file, () => undefined, dir)).toThrow(expect.objectContaining({ message: expect.stringContaining(`${file}:3: ${match}: ssh refuses this line`) }));
    }
    expect(() => loadSshConfig(fileWith('Match all final'), () => undefined, dir)).toThrow(expect.objectContaining({ hint: 'write Match final instead (all adds nothing to the line\'s other criteria)' }));
    expect(() => loadSshConfig(fileWith('Match all all'), () => undefined, dir)).toThrow(expect.objectContaining({ hint: expect.stringMatching(/^write Match all instead/) }));
  });

  (sshClientMissing ? it.skip : it)('reads the lines ssh reads, as ssh -G reads them', () => {
    for (const match of accepted) {
      const file = fileWith(match);
      expect({ match, sshRefuses: sshRefuses(file) }).toEqual({ match, sshRefuses: false });
      const ours = sshConfigFor(loadSshConfig(file, () => undefined, dir), { name: 'web1', address: 'web1' });
      // Where no block gives a User, ssh -G says the local user; gridops its own default: compared only where one applies.
      expect({ match, user: ours.user === 'deploy' }).toEqual({ match, user: sshUser(file) === 'deploy' });
    }
  });
});
