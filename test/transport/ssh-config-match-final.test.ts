import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSshConfig, sshConfigFor } from '../../src/transport/ssh-config.js';
import { sshClientMissing } from '../support/ssh-dash-g.js';

/**
 * A `Match final` makes ssh read the file a second time, after the first pass fixed the HostName.
 * Each case is pinned against `ssh -G -F FILE HOST`: the keys ssh offers (each once, as a rejected
 * one counts against the server's MaxAuthTries), the host it dials, the user.
 */
describe('a ~/.ssh/config with a `Match final`', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-match-final-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (lines: string[]) => {
    const file = join(dir, 'config');
    writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
    return file;
  };
  /** What `ssh -G -F file host` gives: the host it dials, its user, every IdentityFile in order, its ProxyJump. */
  const sshGives = (file: string, host: string) => {
    const out = spawnSync('ssh', ['-G', '-F', file, host], { encoding: 'utf8' }).stdout;
    const value = (key: string) => new RegExp(`^${key} (.*)$`, 'm').exec(out)?.[1];
    return { hostname: value('hostname'), user: value('user'), identityfiles: [...out.matchAll(/^identityfile (.*)$/gm)].map((m) => m[1]) };
  };
  /** gridops' values for `host` (named and dialled so) in the same shape; ssh's user where the file gives none (the local one). */
  const gridopsGives = (file: string, host: string, warnings: string[] = []) => {
    const ours = sshConfigFor(loadSshConfig(file, (m) => warnings.push(m), dir), { name: host, address: host });
    return { hostname: ours.hostName ?? host, user: ours.user ?? sshGives(file, host).user, identityfiles: ours.identityFiles ?? [] };
  };

  (sshClientMissing ? it.skip : it)('offers each IdentityFile once, as ssh does, though both passes name it', () => {
    const file = write(['Host web1 r1', '  HostName r1', '  IdentityFile ~/.ssh/a', 'Match final', 'Host *', '  IdentityFile ~/.ssh/b']);
    expect(gridopsGives(file, 'web1')).toEqual(sshGives(file, 'web1'));
    expect(gridopsGives(file, 'web1').identityfiles).toEqual(['~/.ssh/a', '~/.ssh/b']);
  });

  (sshClientMissing ? it.skip : it)("offers each of a jump host's IdentityFiles once, as ssh -G gives them for the jump host", () => {
    const file = write(['Host web1', '  ProxyJump gw', 'Host gw', '  IdentityFile ~/.ssh/gw', 'Match final', 'Host *', '  IdentityFile ~/.ssh/fleet']);
    const ours = sshConfigFor(loadSshConfig(file, () => undefined, dir), { name: 'web1', address: 'web1' });
    expect(ours.proxyJumpIdentityFiles).toEqual(sshGives(file, 'gw').identityfiles);
    expect(ours.proxyJumpIdentityFiles).toEqual(['~/.ssh/gw', '~/.ssh/fleet']);
  });
});
