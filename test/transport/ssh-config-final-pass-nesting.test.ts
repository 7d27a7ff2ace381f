import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadSshConfig, sshConfigFor } from '../../src/transport/ssh-config.js';
import { sshClientMissing, sshDashG } from '../support/ssh-dash-g.js';

/**
 * A `Match final` (Fedora's and RHEL's /etc/ssh/ssh_config.d/50-redhat.conf begins `Match final
 * all`) makes ssh read both files a second time, judging Host lines against the HostName the first
 * pass gave. Blocks an Include put inside a block of ~/.ssh/config are judged again then, inside
 * that block: gridops, which judges them in one pass, follows that wherever the block holding them
 * judges the second pass's name as it judged the first's, and refuses only the lookups where it does
 * not, naming the user's block. Pinned against `ssh -G -F` of the two files concatenated (absolute
 * Include paths: a relative one under -F leads to this machine's ~/.ssh).
 */
describe('a Match final beside blocks inside a block', () => {
  let dir: string;
  let home: string;
  let systemFile: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-final-nesting-'));
    home = join(dir, 'home');
    systemFile = join(dir, 'etc-ssh', 'ssh_config');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (file: string, lines: string[]) => {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, lines.join('\n') + '\n');
    chmodSync(file, 0o600);
    return file;
  };
  const userFile = () => join(home, '.ssh', 'config');
  const load = () => loadSshConfig(undefined, () => undefined, home, systemFile);
  /** Fedora's stock pair, its crypto-policies Include left out: a `Match final all` holding only lines for every host. */
  const REDHAT_CONF = ['Match final all', '\tGSSAPIAuthentication yes', '\tForwardX11Trusted yes', '\tSendEnv LANG LC_CTYPE'];
  const writeFedora = () => {
    write(systemFile, [`Include ${join(dir, 'etc-ssh', 'ssh_config.d')}/*.conf`]);
    return write(join(dir, 'etc-ssh', 'ssh_config.d', '50-redhat.conf'), REDHAT_CONF);
  };
  const concatenated = (user: string[], ...system: string[][]) => write(join(dir, 'concatenated'), [...user, 'Host *', ...system.flat()]);

  (sshClientMissing ? it.skip : it)("with Fedora's system file, a user file with an Include inside a block gives what ssh -G gives", () => {
    const included = write(join(home, '.ssh', 'conf.d', 'a.conf'), ['Host realhost', '  User bob', 'Host gw web1', '  User carol', '  Port 2201']);
    const user = ['Host alias', '  HostName realhost', 'Host gw', '  Port 2222', `  Include ${dirname(included)}/*.conf`, 'Host *', `  Include ${dirname(included)}/*.conf`];
    write(userFile(), user);
    writeFedora();
    const config = load();
    const file = concatenated(user, REDHAT_CONF);
    for (const host of ['alias', 'gw', 'web1', 'realhost', 'other']) {
      const ours = sshConfigFor(config, { name: host, address: host });
      const ssh = sshDashG(file, host);
      expect({ host, hostname: ours.hostName ?? host, user: ours.user ?? 'root', port: ours.port ?? 22 }).toEqual({ host, hostname: ssh.hostname, user: ssh.user, port: ssh.port });
    }
  });

  (sshClientMissing ? it.skip : it)("a lookup whose block holding blocks would judge the second pass's HostName otherwise is refused, naming the user's block; the file's other lookups are answered", () => {
    const inner = write(join(home, '.ssh', 'inner'), ['Host realhost', '  User bob']);
    const user = ['Host alias', '  HostName realhost', 'Host realhost', `  Include ${inner}`];
    write(userFile(), user);
    const redhat = writeFedora();
    const config = load();
    // ssh judges `Host realhost` again against alias's HostName, and its inner block with it: User bob.
    expect(sshDashG(concatenated(user, REDHAT_CONF), 'alias').user).toBe('bob');
    expect(() => sshConfigFor(config, { name: 'alias', address: 'alias' })).toThrow(
      expect.objectContaining({
        message: expect.stringContaining(`${userFile()}:3: Host realhost holds blocks an Include put inside it (${inner}:1), and the Match final at ${redhat}:1 makes ssh judge it again against realhost, the HostName the first pass gave`),
        hint: expect.stringContaining(`move the Include out of the block at ${userFile()}:3`),
      }),
    );
    expect(() => sshConfigFor(config, { name: 'alias', address: 'alias' })).toThrow(expect.objectContaining({ hint: expect.not.stringContaining(redhat) }));
    expect(sshConfigFor(config, { name: 'realhost', address: 'realhost' })).toEqual({ user: 'bob' });
  });

  (sshClientMissing ? it.skip : it)('judges the second pass with the HostName lower-cased, as ssh does: a block that still matches it is answered, one that comes to match it is refused', () => {
    const inner = write(join(home, '.ssh', 'inner'), ['Host web3', '  Port 2222', 'Host db1', '  User dbadmin', '  Port 2201']);
    const user = ['Host web4', '  HostName WEB3', 'Host alias', '  HostName DB1', 'Host web*', `  Include ${inner}`, 'Host db*', `  Include ${inner}`];
    write(userFile(), user);
    writeFedora();
    const config = load();
    const file = concatenated(user, REDHAT_CONF);
    // web4: `Host web*` matched it, and matches web3 too (ssh judges `web3`, not `WEB3`): what ssh -G gives.
    const ssh = sshDashG(file, 'web4');
    const ours = sshConfigFor(config, { name: 'web4', address: 'web4' });
    expect({ hostname: ours.hostName, port: ours.port ?? 22 }).toEqual({ hostname: ssh.hostname, port: ssh.port });
    expect(ssh.port).toBe(2222);
    // alias: `Host db*` did not match it, but matches db1, which ssh judges: ssh gives User dbadmin; gridops refuses rather than answer without it.
    expect(sshDashG(file, 'alias').user).toBe('dbadmin');
    expect(() => sshConfigFor(config, { name: 'alias', address: 'alias' })).toThrow(expect.objectContaining({ message: expect.stringContaining('makes ssh judge it again against db1') }));
  });

  it('a Match block holding blocks is refused where a Match final makes a second pass, naming the user file, not telling them to edit the system file', () => {
    const inner = write(join(home, '.ssh', 'inner'), ['Host web1', '  Port 2201']);
    write(userFile(), ['Match user deploy', `  Include ${inner}`]);
    const redhat = writeFedora();
    expect(() => load()).toThrow(
      expect.objectContaining({
        message: expect.stringContaining(`${userFile()}:1: Match user deploy holds blocks an Include put inside it (${inner}:1), and the Match final at ${redhat}:1 makes ssh judge it again`),
        hint: `move the Include out of the block at ${userFile()}:1 (above the first Host or Match of ${userFile()}), or write the included blocks at the top level there`,
      }),
    );
    // `Match all` judges both passes alike: read.
    write(userFile(), ['Match all', `  Include ${inner}`]);
    expect(sshConfigFor(load(), { name: 'web1', address: 'web1' })).toEqual({ port: 2201 });
  });

  it('names the Match final that makes the second pass, not a Match canonical above it (judged as final, it asks for no pass)', () => {
    const inner = write(join(home, '.ssh', 'inner'), ['Host web1', '  Port 2201']);
    write(userFile(), ['Match canonical host other', '  User carol', 'Match user deploy', `  Include ${inner}`]);
    const redhat = writeFedora();
    expect(() => load()).toThrow(expect.objectContaining({ message: expect.stringContaining(`and the Match final at ${redhat}:1 makes ssh judge it again`) }));
  });
});
