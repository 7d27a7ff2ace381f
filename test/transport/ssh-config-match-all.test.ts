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

  // Where ssh takes `!all` (last, after one criterion at most), its block applies to no host: a line to write instead would be one ssh refuses, or one that matches where the operator's did not.
  (sshClientMissing ? it.skip : it)('a refused line with !all is said to apply to no host, to be removed, with no line to write instead', () => {
    for (const match of ['Match !all final', 'Match !All final', 'Match host web1 !all final', 'Match canonical !all final']) {
      const file = fileWith(match);
      expect({ match, sshRefuses: sshRefuses(file) }).toEqual({ match, sshRefuses: true });
      expect(() => loadSshConfig(file, () => undefined, dir)).toThrow(
        expect.objectContaining({ message: expect.stringContaining(`${file}:3: ${match}: ssh refuses this line`), hint: 'remove this Match block: !all matches no host, so wherever ssh takes it the block never applies' }),
      );
    }
    // What the hint says of !all, as ssh takes it where it stands last: the block applies to no host.
    for (const match of ['Match !all', 'Match final !all', 'Match host web1 !all']) expect({ match, user: sshUser(fileWith(match)) === 'deploy' }).toEqual({ match, user: false });
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
