import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
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

  const write = (name: string, lines: string[]) => {
    const file = join(dir, name);
    writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
    return file;
  };
  /** What `ssh -G -F file host` gives: the host it dials, its user, every IdentityFile in order, its ProxyJump. */
  const sshGives = (file: string, host: string) => {
    const out = spawnSync('ssh', ['-G', '-F', file, host], { encoding: 'utf8' }).stdout;
    const value = (key: string) => new RegExp(`^${key} (.*)$`, 'm').exec(out)?.[1];
    return { hostname: value('hostname'), user: value('user'), identityfiles: [...out.matchAll(/^identityfile (.*)$/gm)].map((m) => m[1]) };
  };
  /**
   * gridops' values for `host` (named and dialled so) in the same shape; where the file gives no
   * User or IdentityFile, what ssh takes then (the local user, its default keys, which ssh -G lists
   * for a file naming none): gridops has defaults of its own.
   */
  const gridopsGives = (file: string, host: string, warnings: string[] = []) => {
    const ours = sshConfigFor(loadSshConfig(file, (m) => warnings.push(m), dir), { name: host, address: host });
    return { hostname: ours.hostName ?? host, user: ours.user ?? userInfo().username, identityfiles: ours.identityFiles ?? sshGives(write('empty', []), host).identityfiles };
  };

  (sshClientMissing ? it.skip : it)('offers each IdentityFile once, as ssh does, though both passes name it', () => {
    const file = write('config', ['Host web1 r1', '  HostName r1', '  IdentityFile ~/.ssh/a', 'Match final', 'Host *', '  IdentityFile ~/.ssh/b']);
    expect(gridopsGives(file, 'web1')).toEqual(sshGives(file, 'web1'));
    expect(gridopsGives(file, 'web1').identityfiles).toEqual(['~/.ssh/a', '~/.ssh/b']);
  });

  (sshClientMissing ? it.skip : it)("offers each of a jump host's IdentityFiles once, as ssh -G gives them for the jump host", () => {
    const file = write('config', ['Host web1', '  ProxyJump gw', 'Host gw', '  IdentityFile ~/.ssh/gw', 'Match final', 'Host *', '  IdentityFile ~/.ssh/fleet']);
    const ours = sshConfigFor(loadSshConfig(file, () => undefined, dir), { name: 'web1', address: 'web1' });
    expect(ours.proxyJumpIdentityFiles).toEqual(sshGives(file, 'gw').identityfiles);
    expect(ours.proxyJumpIdentityFiles).toEqual(['~/.ssh/gw', '~/.ssh/fleet']);
  });

  (sshClientMissing ? it.skip : it)('dials the host the first pass fixed: a HostName only the second pass sets is not used', () => {
    const file = write('config', ['Host 10.0.0.1', '  User x', 'Match final host 10.0.0.1', '  HostName 10.9.9.9']);
    expect(gridopsGives(file, '10.0.0.1')).toEqual(sshGives(file, '10.0.0.1'));
    expect(gridopsGives(file, '10.0.0.1').hostname).toBe('10.0.0.1');
  });

  (sshClientMissing ? it.skip : it)("does not warn that a HostName only the second pass sets is not used: ssh does not use it either", () => {
    const file = write('config', ['Host web1', '  User x', 'Match final originalhost web1', '  HostName 10.9.9.9']);
    expect(sshGives(file, 'web1').hostname).toBe('web1');
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);
    expect(sshConfigFor(loadSshConfig(file, warn, dir), { name: 'web1', address: '10.0.0.5' }, warn)).toEqual({ user: 'x' });
    expect(warnings).toEqual([]);
    // Where the first pass sets it, ssh dials it: gridops, dialling the address, says so.
    const firstPass = write('first-pass', ['Host web1', '  User x', '  HostName 10.9.9.9', 'Match final', '  Port 2222']);
    expect(sshGives(firstPass, 'web1').hostname).toBe('10.9.9.9');
    sshConfigFor(loadSshConfig(firstPass, warn, dir), { name: 'web1', address: '10.0.0.5' }, warn);
    expect(warnings).toEqual([expect.stringMatching(new RegExp(`^${firstPass}:3: HostName 10\\.9\\.9\\.9, of a block matching the node's name web1, is not used`))]);
  });

  (sshClientMissing ? it.skip : it)("judges the second pass's Host lines against the first pass's HostName lower-cased and with %h expanded, as ssh fixes it", () => {
    const upper = write('config', ['Host web1', '  HostName R1', 'Match final', 'Host r1', '  User q']);
    expect(gridopsGives(upper, 'web1')).toEqual(sshGives(upper, 'web1'));
    expect(gridopsGives(upper, 'web1').user).toBe('q');
    const expanded = write('expanded', ['Host web1', '  HostName %h.example.org', 'Match final', 'Host web1.example.org', '  User q']);
    expect(gridopsGives(expanded, 'web1')).toEqual(sshGives(expanded, 'web1'));
    expect(gridopsGives(expanded, 'web1')).toMatchObject({ hostname: 'web1.example.org', user: 'q' });
  });

  (sshClientMissing ? it.skip : it)('makes the second pass where a criterion before `final` fails, as ssh judges every criterion of the line', () => {
    const file = write('config', ['Match host nomatch final', '  Port 2', 'Host r1', '  User q', 'Host web1', '  HostName r1']);
    expect(gridopsGives(file, 'web1')).toEqual(sshGives(file, 'web1'));
    expect(gridopsGives(file, 'web1').user).toBe('q');
  });

  (sshClientMissing ? it.skip : it)('applies a `Match canonical` block in the second pass, where ssh matches it', () => {
    const file = write('config', ['Host web1', '  HostName r1', 'Match canonical host r1', '  User c', 'Match final', '  IdentityFile ~/.ssh/final']);
    const warnings: string[] = [];
    expect(gridopsGives(file, 'web1', warnings)).toEqual(sshGives(file, 'web1'));
    expect(gridopsGives(file, 'web1').user).toBe('c');
    expect(warnings).toEqual([]);
  });

  it('says, at its line, that a `Match canonical` block is not applied in a file with no second pass (gridops does not canonicalize)', () => {
    const file = write('config', ['Host web1', '  HostName r1', 'Match canonical', '  User c']);
    const warnings: string[] = [];
    const ours = sshConfigFor(loadSshConfig(file, (m) => warnings.push(m), dir), { name: 'web1', address: 'web1' });
    expect(ours.user).toBeUndefined();
    expect(warnings).toEqual([`${file}:3: Match canonical applies only when ssh reads the file again after canonicalizing the host name, which gridops never does (and no Match final asks for that pass here); the block is not applied`]);
  });
});
