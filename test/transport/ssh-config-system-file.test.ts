import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadSshConfig, sshConfigFor, type SshConfigValues } from '../../src/transport/ssh-config.js';
import { sshClientMissing } from '../support/ssh-dash-g.js';

/**
 * The system-wide /etc/ssh/ssh_config, read after ~/.ssh/config as plain `ssh` reads them: one
 * sequence, the first value for a keyword winning, the system file's blocks judged after the
 * user's; a file named as `ssh -F` names one is read alone. Pinned against `ssh -G -F` of the two
 * files concatenated (ssh -G without -F would read this machine's own /etc/ssh/ssh_config).
 */
describe('the system-wide ssh_config', () => {
  let dir: string;
  let home: string;
  let systemFile: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-sysconfig-'));
    home = join(dir, 'home');
    systemFile = join(dir, 'etc-ssh', 'ssh_config');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (file: string, lines: string[], mode = 0o644) => {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, lines.join('\n') + '\n', { mode });
    // The mode asked for whatever the umask.
    chmodSync(file, mode);
    return file;
  };
  const userFile = () => join(home, '.ssh', 'config');
  /** gridops' reading of the default configuration (no file named): ~/.ssh/config under `home`, then `systemFile`. */
  const loadDefault = () => {
    const warnings: string[] = [];
    return { warnings, config: loadSshConfig(undefined, (m) => warnings.push(m), home, systemFile) };
  };

  /** What `ssh -G -F FILE HOST` prints: HostName, User, Port, every IdentityFile in order, ProxyJump. */
  const sshDashG = (file: string, host: string) => {
    const out = spawnSync('ssh', ['-G', '-F', file, host], { encoding: 'utf8' }).stdout;
    const value = (key: string) => new RegExp(`^${key} (.*)$`, 'm').exec(out)?.[1];
    return { hostname: value('hostname'), user: value('user'), port: Number(value('port')), identityfile: [...out.matchAll(/^identityfile (.*)$/gm)].map((m) => m[1]), proxyjump: value('proxyjump') };
  };
  /** gridops' values in ssh -G's terms; its ProxyJump hop is the jump alias looked up, as ssh -G of that alias gives it. */
  const ours = (values: SshConfigValues, host: string) => ({
    hostname: values.hostName ?? host,
    user: values.user,
    port: values.port ?? 22,
    // ssh lists a key a second pass names again once; gridops' list repeats it (the same key, offered twice).
    identityfile: [...new Set(values.identityFiles)],
    proxyjump: values.proxyJump,
  });
  const theirs = (file: string, host: string) => {
    const ssh = sshDashG(file, host);
    if (ssh.proxyjump === undefined) return ssh;
    const hop = sshDashG(file, ssh.proxyjump);
    return { ...ssh, proxyjump: `${hop.user}@${hop.hostname}:${hop.port}` };
  };

  const USER_LINES = ['Host web1', '  User alice', '  Port 2201', 'Host behind', '  ProxyJump bastion', 'Host both', '  User fromuser', '  IdentityFile /keys/user-both'];
  const SYSTEM_LINES = [
    // Lines before the system file's first block apply to every host, though the user's file ended inside `Host both`.
    'IdentityFile /keys/system-top',
    'Host web2',
    '  HostName 10.0.0.2',
    '  IdentityFile /keys/web2',
    'Host both',
    '  User fromsystem',
    '  Port 2300',
    'Host bastion',
    '  HostName 10.9.9.9',
    '  User jumper',
    // ssh's second pass reads both files again, judging Host and Match host against the HostName the first gave.
    'Match final host 10.0.0.2',
    '  IdentityFile /keys/final',
    'Host *',
    '  User sysdefault',
    '  Port 2222',
    '  IdentityFile /keys/fleet',
  ];

  (sshClientMissing ? it.skip : it)('gives each host what ssh -G gives it from the user file followed by the system file, the first value winning across both', () => {
    write(userFile(), USER_LINES, 0o600);
    write(systemFile, SYSTEM_LINES);
    // ssh starts each file outside any block: `Host *` before the system file's lines says that in one file.
    const concatenated = write(join(dir, 'concatenated'), [...USER_LINES, 'Host *', ...SYSTEM_LINES], 0o600);
    const { warnings, config } = loadDefault();
    expect(warnings).toEqual([]);
    for (const host of ['web1', 'web2', 'both', 'behind', 'bastion', 'other']) {
      expect({ host, ...ours(sshConfigFor(config, { name: host, address: host }), host) }).toEqual({ host, ...theirs(concatenated, host) });
    }
    // The cases the lines were written for: the user's value wins, the system file fills what it leaves.
    const both = sshConfigFor(config, { name: 'both', address: 'both' });
    expect({ user: both.user, port: both.port, identityFiles: [...new Set(both.identityFiles)] }).toEqual({ user: 'fromuser', port: 2300, identityFiles: ['/keys/user-both', '/keys/system-top', '/keys/fleet'] });
    expect(sshConfigFor(config, { name: 'behind', address: 'behind' }).proxyJump).toBe('jumper@10.9.9.9:2222');
    expect(sshConfigFor(config, { name: 'web2', address: 'web2' }).identityFiles).toContain('/keys/final');
  });

  it('a file named as `ssh -F` names one is read alone, with no system file after it', () => {
    write(userFile(), ['Host web1', '  User alice'], 0o600);
    write(systemFile, ['Host *', '  User sysdefault', '  Port 2222']);
    expect(sshConfigFor(loadDefault().config, { name: 'web1', address: 'web1' })).toMatchObject({ user: 'alice', port: 2222 });
    const named = loadSshConfig(userFile(), () => undefined, home, systemFile);
    expect(sshConfigFor(named, { name: 'web1', address: 'web1' })).toEqual({ user: 'alice' });
    expect(sshConfigFor(named, { name: 'other', address: 'other' })).toEqual({});
  });

  it('is read where there is no ~/.ssh/config', () => {
    write(systemFile, ['Host *', '  Port 2222']);
    expect(sshConfigFor(loadDefault().config, { name: 'n1', address: '10.0.0.1' })).toEqual({ port: 2222 });
  });

  it("Debian's stock file says nothing and changes no value but HashKnownHosts", () => {
    write(userFile(), USER_LINES, 0o600);
    mkdirSync(join(dir, 'etc-ssh', 'ssh_config.d'), { recursive: true });
    // Debian's /etc/ssh/ssh_config, its Include led to this test's directory.
    write(systemFile, [`Include ${join(dir, 'etc-ssh', 'ssh_config.d')}/*.conf`, '', 'Host *', '#   ForwardAgent no', '    SendEnv LANG LC_*', '    HashKnownHosts yes', '    GSSAPIAuthentication yes']);
    const { warnings, config } = loadDefault();
    expect(warnings).toEqual([]);
    const alone = loadSshConfig(userFile(), () => undefined, home);
    for (const host of ['web1', 'both', 'behind', 'other']) {
      expect(sshConfigFor(config, { name: host, address: host })).toEqual({ ...sshConfigFor(alone, { name: host, address: host }), hashKnownHosts: true });
    }
    // A user's `HashKnownHosts no` comes first, as for ssh.
    write(userFile(), ['Host web1', '  HashKnownHosts no'], 0o600);
    expect(sshConfigFor(loadDefault().config, { name: 'web1', address: 'web1' }).hashKnownHosts).toBe(false);
  });

  it("a relative Include in it leads to its own directory (/etc/ssh for ssh), not ~/.ssh; one from `~` is refused, as ssh refuses it", () => {
    write(join(home, '.ssh', 'conf.d', 'a.conf'), ['Port 1111'], 0o600);
    write(join(dir, 'etc-ssh', 'conf.d', 'a.conf'), ['Port 2222']);
    write(systemFile, ['Include conf.d/*.conf']);
    expect(sshConfigFor(loadDefault().config, { name: 'n1', address: 'n1' })).toEqual({ port: 2222 });
    write(systemFile, ['Include ~/.ssh/conf.d/a.conf']);
    expect(() => loadDefault()).toThrow(`${systemFile}:1: Include ~/.ssh/conf.d/a.conf: a path from a home directory in the system-wide configuration, which ssh refuses too ("bad include path")`);
  });

  it('a warning about a line in it names the system file and its line', () => {
    write(userFile(), ['Host n1', '  User alice'], 0o600);
    write(systemFile, ['# the admin\'s', 'Host *', '  SendEnv LANG', 'Match exec "true"', '  Port 2222']);
    expect(loadDefault().warnings).toEqual([`${systemFile}:4: Match exec is not evaluated (gridops runs no local command from it); the block is not applied`]);
  });

  // ssh.c reads /etc/ssh/ssh_config without SSHCONF_CHECKPERM (readconf.c checks only the user's file and what an Include reads); ssh -G here agrees.
  (process.getuid?.() === 0 ? it : it.skip)("the system file itself is read unchecked, as ssh reads it (another user's, or one others may write); a file it includes is checked", () => {
    write(systemFile, ['Host *', '  Port 2222', 'Include conf.d/*.conf'], 0o666);
    chownSync(systemFile, 4321, 4321);
    expect(sshConfigFor(loadDefault().config, { name: 'n1', address: 'n1' })).toEqual({ port: 2222 });
    const included = write(join(dir, 'etc-ssh', 'conf.d', 'a.conf'), ['User u'], 0o646);
    expect(() => loadDefault()).toThrow(`bad permissions (included at ${systemFile}:3): others may write it (mode 646), so ssh refuses it too`);
    chmodSync(included, 0o644);
    expect(sshConfigFor(loadDefault().config, { name: 'n1', address: 'n1' })).toEqual({ port: 2222, user: 'u' });
  });

  it('a system file that is a directory is not used, as ssh reads nothing from it; the user file still is', () => {
    write(userFile(), ['Host n1', '  User alice'], 0o600);
    mkdirSync(systemFile, { recursive: true });
    const { warnings, config } = loadDefault();
    expect({ warnings, values: sshConfigFor(config, { name: 'n1', address: 'n1' }) }).toEqual({ warnings: [], values: { user: 'alice' } });
  });

  // Root reads any file: only another user can be refused it.
  (process.getuid?.() === 0 ? it.skip : it)('a system file that cannot be read is not used, as ssh skips it, with one warning; an unreadable file it includes stays an error', () => {
    write(userFile(), ['Host n1', '  User alice'], 0o600);
    write(systemFile, ['Port 2222'], 0o000);
    const { warnings, config } = loadDefault();
    expect({ warnings, values: sshConfigFor(config, { name: 'n1', address: 'n1' }) }).toEqual({
      warnings: [`cannot read ${systemFile} (EACCES): not used, as ssh does not use it`],
      values: { user: 'alice' },
    });
    chmodSync(systemFile, 0o644);
    write(systemFile, ['Include conf.d/*.conf']);
    write(join(dir, 'etc-ssh', 'conf.d', 'a.conf'), ['Port 2222'], 0o000);
    expect(() => loadDefault()).toThrow(/cannot read .*a\.conf \(included at .*ssh_config:1\)/);
  });
});
