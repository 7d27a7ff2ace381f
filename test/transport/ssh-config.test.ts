import { jest } from '@jest/globals';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import SSHConfig from 'ssh-config';
import { ConnectionError } from '../../src/errors/index.js';
import { connectionTarget, loadSshConfig, refuseProxyCommand, sshConfigFor } from '../../src/transport/ssh-config.js';
import { node } from '../resources/fixtures.js';

const config = SSHConfig.parse(`
Host 10.0.0.1
  HostName real-n1.example.org
Host n*
  User ops
  Port 2200
  IdentityFile ~/.ssh/grid_ed25519
  ProxyJump admin@bastion.example.org:22
Host *
  User fallback
  IdentityFile ~/.ssh/id_other
`);

describe('~/.ssh/config with the topology', () => {
  it("a block of the address's own gives all its values (as `ssh ADDRESS`); else the name's blocks do (as `ssh NAME`); the first value wins, as in OpenSSH", () => {
    // `Host 10.0.0.1` matches the address: `Host n*` (the name's) adds nothing, not even what the address's lookup lacks.
    expect(sshConfigFor(config, { name: 'n1', address: '10.0.0.1' })).toEqual({
      hostName: 'real-n1.example.org',
      user: 'fallback',
      identityFiles: ['~/.ssh/id_other'],
    });
    expect(sshConfigFor(undefined, { name: 'n1', address: '10.0.0.1' })).toEqual({});
  });

  it('HashKnownHosts: yes or no for the host, as OpenSSH reads it; absent where the file does not say', () => {
    const hashing = SSHConfig.parse('Host n1\n  HashKnownHosts no\nHost *\n  HashKnownHosts yes\n');
    expect(sshConfigFor(hashing, { name: 'n2', address: 'n2' }).hashKnownHosts).toBe(true);
    expect(sshConfigFor(hashing, { name: 'n1', address: 'n1' }).hashKnownHosts).toBe(false);
    expect(sshConfigFor(config, { name: 'n2', address: '10.0.0.2' }).hashKnownHosts).toBeUndefined();
  });

  it('fills what the topology leaves to the built-in defaults', () => {
    // Only `Host *` matches 10.0.0.2: the values are the name's (`Host n*`, then `Host *`); the bastion's own lookup is `Host *`.
    const target = connectionTarget(node('n2'), sshConfigFor(config, { name: 'n2', address: '10.0.0.2' }));
    expect(target).toEqual({ host: '10.0.0.2', port: 2200, user: 'ops', identityFiles: ['~/.ssh/grid_ed25519', '~/.ssh/id_other'], jumpHost: 'admin@bastion.example.org:22', jumpIdentityFiles: ['~/.ssh/id_other'], fromSshConfig: ['user', 'port', 'identityFile', 'jumpHost'] });
  });

  it('the topology wins wherever it wrote a value, at any level', () => {
    const n = node('n2', 'defaults: { ssh: { user: deploy, port: 22, identityFile: /keys/grid, jumpHost: gw.example.org } }');
    const target = connectionTarget(n, sshConfigFor(config, n));
    expect(target).toEqual({ host: '10.0.0.2', port: 22, user: 'deploy', identityFiles: ['/keys/grid'], jumpHost: 'gw.example.org', fromSshConfig: [] });
  });

  it('HostName redirects the connection; a multi-hop ProxyJump is refused clearly', () => {
    expect(connectionTarget(node('n1'), { hostName: 'real-n1.example.org' }).host).toBe('real-n1.example.org');
    expect(() => connectionTarget(node('n1'), { proxyJump: 'a@b,c@d' })).toThrow(ConnectionError);
  });
});

describe('`Match user` judges the user gridops logs in as', () => {
  const byUser = SSHConfig.parse(`
Match user admin
  IdentityFile ~/.ssh/admin_key
  Port 2222
Match user root
  IdentityFile ~/.ssh/root_key
Match user nobody-here
  ProxyCommand nc %h %p
`);

  it("the topology's ssh.user, as `ssh -l USER` is judged: its blocks apply and the local user's do not", () => {
    const admin = node('n1', 'defaults: { ssh: { user: admin } }');
    expect(sshConfigFor(byUser, admin)).toEqual({ identityFiles: ['~/.ssh/admin_key'], port: 2222 });
    expect(connectionTarget(admin, sshConfigFor(byUser, admin))).toMatchObject({ user: 'admin', port: 2222, identityFiles: ['~/.ssh/admin_key'] });
  });

  it("where neither the topology nor the file names a user, gridops' built-in root, not the local user", () => {
    // The local user is judged first, as ssh without -l judges it; root is looked up again where the file gave no User.
    expect(sshConfigFor(byUser, node('n1'))).toEqual({ identityFiles: ['~/.ssh/root_key'] });
  });

  it("the file's own User is the one its later `Match user` blocks judge", () => {
    const withUser = SSHConfig.parse(`Host *\n  User deploy\nMatch user deploy\n  Port 2200\nMatch user root\n  Port 2300\n`);
    expect(sshConfigFor(withUser, node('n1'))).toEqual({ user: 'deploy', port: 2200 });
    // The topology's user wins over the file's, for the login and for `Match user`.
    expect(sshConfigFor(withUser, node('n1', 'defaults: { ssh: { user: root } }'))).toEqual({ port: 2300 });
  });
});

describe('`Match user` for a ProxyJump hop, and the lookups it costs', () => {
  // The parser judges `Match user` against os.userInfo() where no user is given: a local user other
  // than root, as most operators are, is what tells the local user's lookup from root's.
  const os = createRequire(import.meta.url)('node:os') as typeof import('node:os');
  let localUser: ReturnType<typeof jest.spyOn>;
  beforeEach(() => {
    localUser = jest.spyOn(os, 'userInfo').mockReturnValue({ username: 'alice', uid: 1000, gid: 1000, shell: '/bin/sh', homedir: '/home/alice' });
  });
  afterEach(() => localUser.mockRestore());

  it('a hop the ProxyJump names no user for is judged as root, the user gridops logs in to it as', () => {
    const viaBastion = SSHConfig.parse(['Host n*', '  ProxyJump bastion', 'Match host bastion user root', '  Port 2201', '  IdentityFile ~/.ssh/hop_root', 'Match host bastion user alice', '  Port 2299', ''].join('\n'));
    expect(sshConfigFor(viaBastion, { name: 'n1', address: 'n1' })).toEqual({ proxyJump: 'bastion:2201', proxyJumpIdentityFiles: ['~/.ssh/hop_root'] });
    // A user the ProxyJump or the hop's own User names is the one judged.
    const named = SSHConfig.parse(['Host n*', '  ProxyJump alice@bastion', 'Match host bastion user root', '  Port 2201', 'Match host bastion user alice', '  Port 2299', ''].join('\n'));
    expect(sshConfigFor(named, { name: 'n1', address: 'n1' })).toEqual({ proxyJump: 'alice@bastion:2299' });
    const ownUser = SSHConfig.parse(['Host n*', '  ProxyJump bastion', 'Host bastion', '  User ops', 'Match host bastion user root', '  Port 2201', ''].join('\n'));
    expect(sshConfigFor(ownUser, { name: 'n1', address: 'n1' })).toEqual({ proxyJump: 'ops@bastion' });
  });

  it('the lookup as root is made only for a file with a `Match user` block, and changes nothing elsewhere', () => {
    const compute = jest.spyOn(SSHConfig.prototype, 'compute');
    try {
      const plain = SSHConfig.parse(['Host n*', '  Port 2200', '  ProxyJump bastion', 'Host bastion', '  IdentityFile ~/.ssh/hop', 'Match host n1', '  IdentityFile ~/.ssh/n1', ''].join('\n'));
      expect(sshConfigFor(plain, { name: 'n1', address: 'n1' })).toEqual({ port: 2200, identityFiles: ['~/.ssh/n1'], proxyJump: 'bastion', proxyJumpIdentityFiles: ['~/.ssh/hop'] });
      // One lookup for the node, one for its route's order, one for the hop: none again as root.
      expect(compute).toHaveBeenCalledTimes(3);
      compute.mockClear();
      const judging = SSHConfig.parse(['Host n*', '  Port 2200', '  ProxyJump bastion', 'Match user root', '  IdentityFile ~/.ssh/root', ''].join('\n'));
      expect(sshConfigFor(judging, { name: 'n1', address: 'n1' })).toEqual({ port: 2200, identityFiles: ['~/.ssh/root'], proxyJump: 'bastion', proxyJumpIdentityFiles: ['~/.ssh/root'] });
      expect(compute).toHaveBeenCalledTimes(5);
    } finally {
      compute.mockRestore();
    }
  });
});

describe('~/.ssh/config that gridops cannot follow as ssh does', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gridops-sshcfg-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const load = (name: string, text: string) => {
    const file = join(dir, name);
    // Not writable by group or others whatever the umask: gridops refuses such a file, as ssh does.
    writeFileSync(file, text, { mode: 0o600 });
    const warnings: string[] = [];
    return { file, warnings, config: loadSshConfig(file, (m) => warnings.push(m)) };
  };

  it('follows Match blocks as OpenSSH does (originalhost, host after HostName, user, all)', () => {
    const { config, warnings } = load(
      'match',
      ['Match originalhost web1', '  HostName web1.internal', '  ProxyJump jump@bastion:22', 'Match host web1.internal', '  Port 2201', 'Match all', '  IdentityFile ~/.ssh/all_%h', ''].join('\n'),
    );
    expect(sshConfigFor(config, { name: 'web1', address: 'web1' })).toMatchObject({ hostName: 'web1.internal', proxyJump: 'jump@bastion:22', port: 2201, identityFiles: ['~/.ssh/all_%h'] });
    expect(sshConfigFor(config, { name: 'web2', address: 'web2' })).toEqual({ identityFiles: ['~/.ssh/all_%h'], writtenAt: { identityFiles: { '~/.ssh/all_%h': expect.stringMatching(/\/match:7$/) } } });
    expect(warnings).toEqual([]);
  });

  it('runs no local command: Match exec is not evaluated (a warning names its line), canonicalization runs no nslookup', () => {
    const marker = join(dir, 'exec-ran');
    const childProcess = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
    const spawned = jest.spyOn(childProcess, 'spawnSync');
    try {
      const { config, file, warnings } = load(
        'exec',
        ['Host *', '  CanonicalizeHostName yes', '  CanonicalDomains example.org example.net', 'Host quiet', '  CanonicalizeHostName no', `Match exec "touch ${marker}"`, '  ProxyJump evil@elsewhere', 'Match localnetwork 10.0.0.0/8', '  User other', ''].join('\n'),
      );
      const values = sshConfigFor(config, { name: 'web1', address: 'web1' });
      expect(values.proxyJump).toBeUndefined();
      expect(values.user).toBeUndefined();
      expect(spawned).not.toHaveBeenCalled();
      expect(existsSync(marker)).toBe(false);
      expect(warnings).toEqual([
        expect.stringMatching(new RegExp(`^${file}:2: CanonicalizeHostName is not applied`)),
        expect.stringMatching(new RegExp(`^${file}:6: Match exec is not evaluated \\(gridops runs no local command from it\\); the block is not applied`)),
        expect.stringMatching(new RegExp(`^${file}:8: Match localnetwork is not supported; the block is not applied`)),
      ]);
    } finally {
      spawned.mockRestore();
    }
  });

  it('refuses to connect a node whose route is a ProxyCommand, rather than connecting directly', () => {
    const { config } = load('proxy-command', ['Host n*', '  ProxyCommand ssh -W %h:%p gw.example.org', 'Host other', '  ProxyCommand none', ''].join('\n'));
    const n2 = node('n2');
    expect(() => refuseProxyCommand(n2, sshConfigFor(config, n2))).toThrow(expect.objectContaining({ message: expect.stringMatching(/ProxyCommand.*cannot run/), hint: expect.stringMatching(/ProxyJump/) }));
    expect(() => refuseProxyCommand(n2, sshConfigFor(config, n2))).toThrow(ConnectionError);
    // A jump host the topology wrote itself is the route: ~/.ssh/config's ProxyCommand does not apply.
    const routed = node('n2', 'defaults: { ssh: { jumpHost: gw.example.org } }');
    expect(() => refuseProxyCommand(routed, sshConfigFor(config, routed))).not.toThrow();
    expect(sshConfigFor(config, { name: 'other', address: 'other' })).toEqual({});
  });

  it('takes whichever of ProxyJump and ProxyCommand comes first for the host, as OpenSSH does, and refuses only an effective ProxyCommand', () => {
    const { config } = load(
      'proxy-precedence',
      ['Host 10.0.0.1', '  ProxyJump admin@bastion:22', 'Host n3', '  ProxyCommand none', 'Host n4', '  proxyjump ops@gw', 'Host * !bastion !gw', '  ProxyCommand ssh -W %h:%p gw.example.org', 'Host n*', '  ProxyJump late@bastion', ''].join('\n'),
    );
    // The node's own ProxyJump (for its address) comes first: the generic ProxyCommand below it is not used.
    const n1 = node('n1');
    expect(sshConfigFor(config, n1)).toEqual({ proxyJump: 'admin@bastion:22', writtenAt: { proxyJump: expect.stringMatching(/\/proxy-precedence:2$/) } });
    expect(() => refuseProxyCommand(n1, sshConfigFor(config, n1))).not.toThrow();
    expect(connectionTarget(n1, sshConfigFor(config, n1)).jumpHost).toBe('admin@bastion:22');
    // `Host *`'s ProxyCommand comes before `Host n*`'s ProxyJump: the command is the route, refused.
    const n2 = node('n2');
    expect(sshConfigFor(config, n2)).toEqual({ proxyCommand: 'ssh -W %h:%p gw.example.org', writtenAt: { proxyCommand: expect.stringMatching(/\/proxy-precedence:8$/) } });
    expect(() => refuseProxyCommand(n2, sshConfigFor(config, n2))).toThrow(/ProxyCommand/);
    // `ProxyCommand none` first: no proxy at all, the later ProxyJump and ProxyCommand ignored.
    expect(sshConfigFor(config, { name: 'n3', address: 'n3' })).toEqual({});
    // Keywords are case-insensitive in OpenSSH.
    expect(sshConfigFor(config, { name: 'n4', address: 'n4' })).toEqual({ proxyJump: 'ops@gw', writtenAt: { proxyJump: expect.stringMatching(/\/proxy-precedence:6$/) } });
  });

  it("takes the route from the address's blocks, or else the name's, never one from each", () => {
    const { config } = load('proxy-by-address', ['Host 10.0.0.9', '  ProxyCommand none', 'Host web', '  ProxyJump j@gw', 'Host 10.0.0.8', '  ProxyJump a@gw', 'Host web8', '  ProxyCommand nc %h %p', ''].join('\n'));
    expect(sshConfigFor(config, { name: 'web', address: '10.0.0.9' })).toEqual({});
    expect(sshConfigFor(config, { name: 'web8', address: '10.0.0.8' })).toEqual({ proxyJump: 'a@gw', writtenAt: { proxyJump: expect.stringMatching(/\/proxy-by-address:6$/) } });
    expect(sshConfigFor(config, { name: 'web', address: '10.0.0.7' })).toEqual({ proxyJump: 'j@gw', writtenAt: { proxyJump: expect.stringMatching(/\/proxy-by-address:4$/) } });
  });

  it("a HostName found by the node's name never replaces the topology's address: it is said, with its line, and the address is dialled", () => {
    const { file, config } = load('hostname-by-name', ['Host *.example.org', '  User web', 'Host n1', '  User ops', '  HostName 127.0.0.1', '  Port 2200', 'Host n2', '  HostName 10.0.0.2', ''].join('\n'));
    const warnings: string[] = [];
    const n1 = { name: 'n1', address: '10.0.1.11' };
    const values = sshConfigFor(config, n1, (m) => warnings.push(m));
    // The name's other values still fill what the topology leaves to the defaults (README), only the host stays the topology's.
    expect(values).toEqual({ user: 'ops', port: 2200 });
    expect(connectionTarget(node('n1'), values).host).toBe(node('n1').address);
    expect(warnings).toEqual([
      `${file}:5: HostName 127.0.0.1, of a block matching the node's name n1, is not used: n1 is reached at its topology address 10.0.1.11; remove that HostName, or write its value as n1's address in the topology, to silence this`,
    ]);
    // The same host written another way is no redirection: nothing to say.
    sshConfigFor(config, { name: 'n2', address: '10.0.0.2' }, (m) => warnings.push(m));
    expect(warnings).toHaveLength(1);
    // A block of the address's own is what `ssh ADDRESS` follows: its HostName is still the host dialled.
    expect(sshConfigFor(config, { name: 'web', address: 'n1' }).hostName).toBe('127.0.0.1');
  });

  it('a HostName of a wildcard block (`Host *` with HostName %h, `Host *.corp` with HostName %h.internal) is the ordinary pattern: nothing is said', () => {
    const { config, warnings } = load(
      'hostname-wildcard',
      ['Host *.corp', '  HostName %h.internal', '  User corp', 'Host one two', '  HostName 192.0.2.1', 'Host *', '  HostName %h', '  User deploy', ''].join('\n'),
    );
    const said: string[] = [];
    expect(sshConfigFor(config, { name: 'web1.corp', address: '10.0.0.1' }, (m) => said.push(m))).toEqual({ user: 'corp' });
    expect(sshConfigFor(config, { name: 'web2', address: '10.0.0.2' }, (m) => said.push(m))).toEqual({ user: 'deploy' });
    expect(said).toEqual([]);
    // A block naming the node literally among other patterns still redirects that node: said.
    sshConfigFor(config, { name: 'two', address: '10.0.0.3' }, (m) => said.push(m));
    expect(said).toEqual([expect.stringMatching(/:5: HostName 192\.0\.2\.1, of a block matching the node's name two, is not used/)]);
    expect(warnings).toEqual([]);
  });

  it("by the node's name, `Match host` is judged against the address gridops dials, not the HostName it does not use", () => {
    const { config } = load('match-host-dialled', ['Host web1', '  HostName 10.0.0.99', '  IdentityFile ~/.ssh/web1', 'Match host 10.0.0.99', '  User bob', '  Port 2299', ''].join('\n'));
    // web1 is dialled at 10.0.0.5: the block for 10.0.0.99 must not give it that host's user and port.
    expect(sshConfigFor(config, { name: 'web1', address: '10.0.0.5' })).toEqual({ identityFiles: ['~/.ssh/web1'], writtenAt: { identityFiles: { '~/.ssh/web1': expect.stringMatching(/\/match-host-dialled:3$/) } } });
    // Dialled at the HostName's own address, its Match host block is the one that applies.
    expect(sshConfigFor(config, { name: 'web1', address: '10.0.0.99' })).toEqual({ user: 'bob', port: 2299 });
  });

  it("by the node's name, a `Match host NAME` block written for the name still applies, as for `ssh NAME`", () => {
    const { config } = load('match-host-name', ['Match host n1', '  User admin', '  Port 2222', ''].join('\n'));
    expect(sshConfigFor(config, { name: 'n1', address: '10.0.0.5' })).toEqual({ user: 'admin', port: 2222 });
  });

  it('expands %h %p %r %u %d %% in an IdentityFile from it, and refuses other tokens', () => {
    const n2 = node('n2');
    const target = connectionTarget(n2, { hostName: 'real-n2', port: 2222, user: 'ops', identityFiles: ['~/.ssh/%h_%p_%r', '/keys/%u/100%%', '%d/.ssh/id'] });
    expect(target.identityFiles).toEqual(['~/.ssh/real-n2_2222_ops', `/keys/${userInfo().username}/100%`, `${homedir()}/.ssh/id`]);
    expect(() => connectionTarget(n2, { identityFiles: ['~/.ssh/%C'] })).toThrow(expect.objectContaining({ message: expect.stringMatching(/IdentityFile ~\/\.ssh\/%C.*%C/) }));
    expect(() => connectionTarget(n2, { identityFiles: ['~/.ssh/key%'] })).toThrow(ConnectionError);
  });
});

describe("a ProxyJump's jump host, looked up in ~/.ssh/config as OpenSSH does", () => {
  const config = SSHConfig.parse(
    ['Host bastion', '  HostName 192.0.2.9', '  User admin', '  Port 2222', '  IdentityFile ~/.ssh/bastion_key', 'Host 10.*', '  ProxyJump bastion', 'Host 172.16.*', '  ProxyJump ops@bastion:2200', 'Host 192.168.*', '  ProxyJump gw2', 'Host gw2', '  ProxyJump bastion', ''].join('\n'),
  );

  it("reaches an alias at its HostName, User, Port and IdentityFile (the node's own values stay the node's)", () => {
    const n1 = node('n1'); // 10.0.0.1
    const target = connectionTarget(n1, sshConfigFor(config, n1));
    expect(target.jumpHost).toBe('admin@192.0.2.9:2222');
    expect(target.jumpIdentityFiles).toEqual(['~/.ssh/bastion_key']);
    expect(target.user).toBe('root');
    expect(target.port).toBe(22);
  });

  it('user@ and :port written in the ProxyJump win over the alias\'s', () => {
    const n = { ...node('n1'), address: '172.16.0.1' };
    expect(connectionTarget(n, sshConfigFor(config, n)).jumpHost).toBe('ops@192.0.2.9:2200');
  });

  it('a jump host that ~/.ssh/config routes through another is refused as two hops', () => {
    const n = { ...node('n1'), address: '192.168.0.1' };
    expect(() => connectionTarget(n, sshConfigFor(config, n))).toThrow(expect.objectContaining({ message: expect.stringMatching(/gw2.*ProxyJump bastion.*more than one hop/) }));
  });

  it('a jump host with no block of its own is reached as written, with the node\'s key', () => {
    const plain = SSHConfig.parse('Host 10.*\n  ProxyJump jump.example.org\n  IdentityFile ~/.ssh/grid\n');
    const n1 = node('n1');
    const target = connectionTarget(n1, sshConfigFor(plain, n1));
    expect(target.jumpHost).toBe('jump.example.org');
    expect(target.jumpIdentityFiles).toBeUndefined();
  });
});

describe('~/.ssh/config values come whole from one lookup, as `ssh ADDRESS` or `ssh NAME` would', () => {
  const config = SSHConfig.parse(['Host node-01', '  User ops', '  Port 2201', '  IdentityFile grid_key', 'Host 10.0.9.*', '  User net', 'Match host 10.0.8.1', '  Port 2288', 'Host *', '  User admin', '  IdentityFile id_default', ''].join('\n'));

  it("the name's lookup where only `Host *` matches the address: every value as `ssh node-01` gives it", () => {
    expect(sshConfigFor(config, { name: 'node-01', address: '10.0.0.5' })).toEqual({ user: 'ops', port: 2201, identityFiles: ['grid_key', 'id_default'] });
  });

  it("the address's lookup where a block of its own (Host or Match) matches it: the name's blocks add nothing", () => {
    expect(sshConfigFor(config, { name: 'node-01', address: '10.0.9.5' })).toEqual({ user: 'net', identityFiles: ['id_default'] });
    expect(sshConfigFor(config, { name: 'node-01', address: '10.0.8.1' })).toEqual({ user: 'admin', port: 2288, identityFiles: ['id_default'] });
  });

  it('top-level values, `Host *` with negations and `Match all` do not count as a block of the address', () => {
    const withAll = SSHConfig.parse(['User top', 'Host node-02', '  Port 2202', 'Match all', '  IdentityFile id_all', ''].join('\n'));
    expect(sshConfigFor(withAll, { name: 'node-02', address: '10.0.0.6' })).toEqual({ user: 'top', port: 2202, identityFiles: ['id_all'] });
    // Nor is `Host * !bastion` (every host but some), nor a Match block that judges no host name (`localuser`, `user`).
    const allBut = SSHConfig.parse(['Host node-04', '  Port 2204', 'Host * !bastion', '  User everyone', ''].join('\n'));
    expect(sshConfigFor(allBut, { name: 'node-04', address: '10.0.0.8' })).toEqual({ user: 'everyone', port: 2204 });
    const byUser = SSHConfig.parse(['Host node-03', '  Port 2203', `Match localuser ${userInfo().username}`, '  User local', ''].join('\n'));
    expect(sshConfigFor(byUser, { name: 'node-03', address: '10.0.0.7' })).toEqual({ user: 'local', port: 2203 });
  });
});


describe('~/.ssh/config keywords in any case, as OpenSSH reads them', () => {
  it('`hostname`, `PORT`, `user`, `identityfile` and `proxyjump` count as HostName, Port, User, IdentityFile and ProxyJump; the first value wins across spellings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gridops-sshcfg-case-'));
    try {
      const file = join(dir, 'config');
      writeFileSync(file, 'Host 10.0.0.7\n  hostname real-n7.example.org\n  PORT 2201\n  user ops\n  User other\n  identityfile ~/.ssh/grid_ed25519\n  proxyjump admin@bastion.example.org:22\n', { mode: 0o600 });
      const loaded = loadSshConfig(file);
      expect(sshConfigFor(loaded, { name: 'n7', address: '10.0.0.7' })).toEqual(
        expect.objectContaining({ hostName: 'real-n7.example.org', port: 2201, user: 'ops', identityFiles: ['~/.ssh/grid_ed25519'], proxyJump: 'admin@bastion.example.org:22' }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
