import { jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { connectionTarget, loadSshConfig, refuseProxyCommand, sshConfigFor } from '../../src/transport/ssh-config.js';
import { node } from '../resources/fixtures.js';
import { sshClientMissing, sshDashG } from '../support/ssh-dash-g.js';

/**
 * ~/.ssh/config's Include, followed as OpenSSH follows it (ssh_config(5)), on real files under a
 * temporary home directory: `~` and relative paths (under its .ssh) lead there, as for `ssh`.
 */
describe('~/.ssh/config Include', () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'gridops-include-'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));
  /** Writes `lines` to `path` under $HOME/.ssh, and returns the file's path. */
  const write = (path: string, lines: string[]) => {
    const file = join(home, '.ssh', path);
    mkdirSync(dirname(file), { recursive: true });
    // Not writable by group or others whatever the umask: ssh, and gridops, refuse such a file.
    writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
    return file;
  };
  const load = () => {
    const warnings: string[] = [];
    return { warnings, config: loadSshConfig(join(home, '.ssh', 'config'), (m) => warnings.push(m), home) };
  };

  it('a ProxyCommand for the node in a file a glob includes is refused, as the same line written inline is', () => {
    write('config', ['Include config.d/*', 'Host *', '  User fallback']);
    write('config.d/20-routes', ['Host 10.0.0.1', '  ProxyCommand nc %h %p']);
    // 10-direct is read first (lexical order), but its `ProxyCommand none` is for another host.
    write('config.d/10-direct', ['Host 10.0.0.9', '  ProxyCommand none']);
    const { config } = load();
    const n1 = node('n1');
    expect(sshConfigFor(config, n1).proxyCommand).toBe('nc %h %p');
    expect(() => refuseProxyCommand(n1, sshConfigFor(config, n1))).toThrow(/ProxyCommand at .*\/config\.d\/20-routes:2 reaches 10\.0\.0\.1.*not connecting directly/);
    expect(sshConfigFor(config, { name: 'n9', address: '10.0.0.9' })).toEqual({ user: 'fallback' });
  });

  it("included User and Port fill the connection, and the included files' values come first in lexical order", () => {
    write('config', ['Include ~/.ssh/config.d/*.conf', 'Port 2999']);
    write('config.d/b.conf', ['User second', 'Port 2202']);
    write('config.d/a.conf', ['Host n*', '  User ops', '  Port 2201']);
    write('config.d/ignored.txt', ['User never']);
    const n2 = node('n2');
    const target = connectionTarget(n2, sshConfigFor(load().config, n2));
    expect(target).toMatchObject({ host: n2.address, user: 'ops', port: 2201 });
    expect(target.fromSshConfig).toEqual(expect.arrayContaining(['user', 'port']));
    // a.conf's block does not match n9: b.conf's top-level lines apply to every host, then config's own.
    expect(sshConfigFor(load().config, { name: 'h9', address: 'h9' })).toEqual({ user: 'second', port: 2202 });
  });

  it('lines after a top-level Include apply to every host again, though the included file ended inside a Host block', () => {
    write('config', ['Include extra', 'User everyone']);
    write('extra', ['Host special', '  Port 2200']);
    const { config } = load();
    expect(sshConfigFor(config, { name: 'other', address: 'other' })).toEqual({ user: 'everyone' });
    expect(sshConfigFor(config, { name: 'special', address: 'special' })).toEqual({ user: 'everyone', port: 2200 });
  });

  it('an Include inside a Host block applies only where that block matches, and the block goes on after it', () => {
    write('config', ['Host bastion-*', '  Include routes', '  Port 2222', 'Host *', '  User fallback']);
    write('routes', ['ProxyCommand nc %h %p', 'User jump']);
    const { config } = load();
    expect(sshConfigFor(config, { name: 'web', address: 'web' })).toEqual({ user: 'fallback' });
    expect(sshConfigFor(config, { name: 'bastion-1', address: 'bastion-1' })).toEqual({ proxyCommand: 'nc %h %p', user: 'jump', port: 2222, writtenAt: { proxyCommand: expect.stringMatching(/\/routes:1$/) } });
  });

  it('a relative path is under ~/.ssh, not the working directory; `~/` is the home directory', () => {
    write('config', ['Include sub/relative "~/elsewhere/with space"']);
    write('sub/relative', ['User relative']);
    mkdirSync(join(home, 'elsewhere'));
    writeFileSync(join(home, 'elsewhere', 'with space'), 'Port 2345\n', { mode: 0o600 });
    expect(sshConfigFor(load().config, { name: 'x', address: 'x' })).toEqual({ user: 'relative', port: 2345 });
  });

  it('a path that names no file, literal or a glob that matches nothing, is skipped silently, as OpenSSH skips it', () => {
    write('config', ['Include missing /nonexistent-gridops/*.conf', 'User still-read']);
    const { config, warnings } = load();
    expect(sshConfigFor(config, { name: 'x', address: 'x' })).toEqual({ user: 'still-read' });
    expect(warnings).toEqual([]);
  });

  it('a file that includes itself stops at 16 levels with an error naming the Include line', () => {
    const file = write('config', ['User self', 'Include config']);
    expect(() => load()).toThrow(expect.objectContaining({ message: expect.stringContaining(`${file}:2: Include nested more than 16 deep`), hint: expect.stringMatching(/remove the Include/) }));
  });

  it('an included file that cannot be read is an error naming it and the Include, not a skip', () => {
    write('config', ['Include config.d/*']);
    // A symlink to itself fails to open with ELOOP, whoever runs the test (root reads a mode 000 file).
    mkdirSync(join(home, '.ssh', 'config.d'));
    symlinkSync('loop', join(home, '.ssh', 'config.d', 'loop'));
    expect(() => load()).toThrow(expect.objectContaining({ message: expect.stringMatching(/cannot read .*config\.d\/loop \(included at .*\.ssh\/config:1\)/) }));
  });

  (process.getuid?.() === 0 ? it.skip : it)('an included file without read permission (EACCES) is an error naming it', () => {
    write('config', ['Include locked']);
    chmodSync(write('locked', ['User hidden']), 0o000);
    expect(() => load()).toThrow(/cannot read .*\/\.ssh\/locked .*EACCES/);
  });

  it("warnings about an included file's lines name that file and line", () => {
    const main = write('config', ['Match exec "true"', '  User a', 'Host *', '  Include more']);
    const more = write('more', ['# comment', '', 'CanonicalizeHostName yes']);
    const { warnings } = load();
    expect(warnings).toEqual([expect.stringMatching(new RegExp(`^${main}:1: Match exec is not evaluated`)), expect.stringMatching(new RegExp(`^${more}:3: CanonicalizeHostName is not applied`))]);
  });

  it("an unused HostName in an included file is said with that file's line", () => {
    write('config', ['User x', 'Include hosts']);
    const hosts = write('hosts', ['Host n1', '  User ops', '  HostName 192.0.2.1']);
    const warnings: string[] = [];
    sshConfigFor(load().config, { name: 'n1', address: '10.0.1.11' }, (m) => warnings.push(m));
    expect(warnings).toEqual([expect.stringMatching(new RegExp(`^${hosts}:3: HostName 192.0.2.1, of a block matching the node's name n1, is not used`))]);
  });

  it('an Include after the last Host block reads blocks that apply only where both it and that Host match, as ssh applies them', () => {
    // The common layout: `Include config.d/*` at the bottom, so inside the last Host block.
    write('config', ['Host github.com', '  User git', 'Include conf.d/*', 'Port 2200']);
    write('conf.d/10-a', ['IdentityFile ~/.ssh/from-a', 'Host a', '  User auser', 'Host node1 github.com', '  Port 2222', '  User inner']);
    const { config, warnings } = load();
    // github.com's block matches neither: nothing the included file says applies, its own Host lines included.
    expect(sshConfigFor(config, { name: 'node1', address: 'node1' })).toEqual({});
    expect(sshConfigFor(config, { name: 'a', address: 'a' })).toEqual({});
    // Where it matches: its lines, the included top-level lines, the inner block that matches too, then its lines after the Include.
    expect(sshConfigFor(config, { name: 'github.com', address: 'github.com' })).toEqual({ user: 'git', port: 2222, identityFiles: ['~/.ssh/from-a'], writtenAt: { identityFiles: { '~/.ssh/from-a': expect.stringMatching(/\/conf\.d\/10-a:1$/) } } });
    expect(warnings).toEqual([]);
  });

  it('a Match exec block an Include put inside a block is taken out with a warning naming its line, as one at the top is', () => {
    write('config', ['Host *', '  Include blocks']);
    const blocks = write('blocks', ['Match exec "true"', '  Port 2200', 'Host n*', '  Port 2201']);
    const { config, warnings } = load();
    expect(warnings).toEqual([expect.stringMatching(new RegExp(`^${blocks}:1: Match exec is not evaluated`))]);
    expect(sshConfigFor(config, { name: 'n1', address: 'n1' })).toEqual({ port: 2201 });
  });

  describe('as `ssh -G` reads the same file (blocks inside blocks)', () => {
    const sshGives = (file: string, host: string) => {
      const { hostname, user, port, identityfile } = sshDashG(file, host);
      return { hostname, user, port, identityfile };
    };
    (sshClientMissing ? it.skip : it)('HostName, User, Port and the first IdentityFile agree for every host', () => {
      const d = join(home, '.ssh');
      // Absolute Include paths: with -F, ssh reads a relative one under the real ~/.ssh, not this home's.
      const file = write('config', [
        'Host github.com web*',
        '  User git',
        `Include ${d}/conf.d/*`,
        '  Port 2200',
        'Match originalhost db*',
        `  Include ${d}/db.conf`,
        'Host *',
        '  User everyone',
        '  Port 2000',
        '  IdentityFile /keys/default',
        '  HostName %h.fallback',
      ]);
      write('conf.d/10-a', ['IdentityFile /keys/a', 'Host a web2', '  User inner-a', '  HostName a.internal', 'Host github.com', '  Port 2222', `  Include ${d}/deeper`]);
      write('conf.d/20-b', ['Match host web*', '  Port 2333']);
      write('deeper', ['HostName gh.deep', 'Host nomatch', '  User never']);
      write('db.conf', ['Host db1', '  Port 5432', 'Host *', '  User db-everyone']);
      const { config, warnings } = load();
      expect(warnings).toEqual([]);
      for (const host of ['node1', 'a', 'github.com', 'web1', 'web2', 'db1', 'db2', 'nomatch']) {
        const ours = sshConfigFor(config, { name: host, address: host });
        expect({ host, hostname: ours.hostName, user: ours.user, port: ours.port, identityfile: ours.identityFiles?.[0] }).toEqual({ host, ...sshGives(file, host) });
      }
    });

    (sshClientMissing ? it.skip : it)("a node's address matched by a block a `Host *` block's Include opens is the address's own: its User and Port, not the name's", () => {
      const file = write('config', ['Host *', '  ServerAliveInterval 10', `Include ${join(home, '.ssh', 'conf.d')}/*`]);
      write('conf.d/10-hosts', ['Host 10.0.0.5', '  Port 2205', '  User addruser', 'Host web1', '  Port 1001', '  User nameuser']);
      const ours = sshConfigFor(load().config, { name: 'web1', address: '10.0.0.5' });
      const ssh = sshGives(file, '10.0.0.5');
      expect({ user: ours.user, port: ours.port }).toEqual({ user: ssh.user, port: ssh.port });
      expect(ours).toEqual({ user: 'addruser', port: 2205 });
    });
  });

  it('with a `Match final`, a lookup whose block holding blocks the second pass would judge otherwise is refused, naming both lines: ssh judges the inner blocks then only inside the outer one', () => {
    const main = write('config', ['Host alias1', '  HostName real1.example', 'Match final', '  ServerAliveInterval 1', 'Host alias*', '  Include inner']);
    const inner = write('inner', ['Host real1.example', '  Port 4444']);
    const { config } = load();
    expect(() => sshConfigFor(config, { name: 'alias1', address: 'alias1' })).toThrow(
      expect.objectContaining({
        message: expect.stringContaining(`${main}:5: Host alias* holds blocks an Include put inside it (${inner}:1), and the Match final at ${main}:3 makes ssh judge it again against real1.example`),
        hint: expect.stringContaining(`remove the Match final at ${main}:3`),
      }),
    );
    // A host with no HostName is judged alike in both passes: answered.
    expect(sshConfigFor(config, { name: 'alias2', address: 'alias2' })).toEqual({});
    // `Match canonical` makes no second pass (gridops applies no CanonicalizeHostname): not refused.
    write('config', ['Host alias1', '  HostName real1.example', 'Match canonical', '  ServerAliveInterval 1', 'Host alias*', '  Include inner']);
    expect(() => load()).not.toThrow();
    // Without Match final, the same blocks are applied as ssh applies them.
    write('config', ['Host alias1', '  HostName real1.example', 'Host alias*', '  Include inner']);
    expect(sshConfigFor(load().config, { name: 'alias1', address: 'alias1' })).toEqual({ hostName: 'real1.example' });
  });

  it('blocks inside blocks cost a node the same number of lookups however many of them the file has', () => {
    // The parser's class as loadSshConfig loads it (its CommonJS build).
    const { SSHConfig } = createRequire(import.meta.url)('ssh-config') as typeof import('ssh-config');
    const lookupsFor = (blocks: number) => {
      const lines: string[] = [];
      for (let i = 0; i < blocks; i++) {
        lines.push(`Host node${i}`, `  HostName 10.1.0.${i % 250}`, `  Include hosts/node${i}`);
        write(`hosts/node${i}`, ['Port 3000', 'Host *', `  IdentityFile ~/.ssh/k${i}`]);
      }
      write('config', [...lines, 'Match user root', `  Include hosts/node0`]);
      const { config } = load();
      const compute = jest.spyOn(SSHConfig.prototype, 'compute');
      try {
        expect(sshConfigFor(config, { name: 'node7', address: '10.1.0.7' })).toMatchObject({ port: 3000, identityFiles: ['~/.ssh/k7', '~/.ssh/k0'] });
        return compute.mock.calls.length;
      } finally {
        compute.mockRestore();
      }
    };
    expect(lookupsFor(200)).toBe(lookupsFor(50));
  });

  describe('files others could write are refused, as ssh refuses them (readconf.c: "Bad owner or permissions")', () => {
    it('an included file others may write names the file and the chmod to run', () => {
      write('config', ['User main', 'Include conf.d/*']);
      const loose = write('conf.d/20-loose', ['HostName elsewhere.example.org']);
      chmodSync(loose, 0o646);
      expect(() => load()).toThrow(expect.objectContaining({ message: expect.stringContaining(`${loose}: bad permissions (included at `), hint: `chmod go-w ${loose}` }));
    });

    // Giving a file a group the test's user is not in takes root.
    (process.getuid?.() === 0 ? it : it.skip)("a group-writable file is refused where the group holds other users (or none), accepted where it is the user's own, as ssh -G here says", () => {
      const inc = write('inc', ['User included']);
      const main = write('config', [`Include ${inc}`]);
      const sshRefuses = () => /Bad owner or permissions/.test(spawnSync('ssh', ['-G', '-F', main, 'h'], { encoding: 'utf8' }).stderr);
      const ssh = spawnSync('ssh', ['-V']);
      chmodSync(inc, 0o664);
      chownSync(inc, 0, 54321);
      expect(() => load()).toThrow(expect.objectContaining({ message: expect.stringContaining(`${inc}: bad permissions (included at ${main}:1): group 54321, which is not yours alone, may write it (mode 664)`) }));
      if (!ssh.error) expect(sshRefuses()).toBe(true);
      // root's own group (no other user has it as primary group or is listed in it).
      chownSync(inc, 0, 0);
      expect(sshConfigFor(load().config, { name: 'h', address: 'h' })).toEqual({ user: 'included' });
      if (!ssh.error) expect(sshRefuses()).toBe(false);
    });

    it('the main file others may write is refused too', () => {
      const main = write('config', ['User main']);
      chmodSync(main, 0o646);
      expect(() => load()).toThrow(expect.objectContaining({ message: expect.stringContaining(`${main}: bad permissions: others may write it (mode 646)`) }));
      chmodSync(main, 0o600);
      expect(sshConfigFor(load().config, { name: 'x', address: 'x' })).toEqual({ user: 'main' });
    });

    // Only root can give a file to another user; root's own and root-owned files are accepted.
    (process.getuid?.() === 0 ? it : it.skip)('a file another user than the reader or root owns is refused, naming the chown', () => {
      write('config', ['Include theirs']);
      const theirs = write('theirs', ['User theirs']);
      chownSync(theirs, 12345, 12345);
      expect(() => load()).toThrow(expect.objectContaining({ message: expect.stringContaining(`${theirs}: bad owner (included at `), hint: expect.stringContaining(`chown 0 ${theirs}`) }));
    });
  });
});
