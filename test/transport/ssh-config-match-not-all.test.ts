import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadSshConfig, sshConfigFor } from '../../src/transport/ssh-config.js';
import { sshClientMissing } from '../support/ssh-dash-g.js';

/**
 * `!all` where OpenSSH 9.2 takes `all` (last on a Match line, after one criterion at most) makes a
 * line ssh reads and whose block applies to no host; a `final` before it still makes ssh read the
 * file a second time. The parser gridops reads the file with throws on such a line ("Missing value
 * for match criteria !all"): gridops reads it as ssh does, each line pinned against
 * `ssh -G -F FILE HOST`. A line the parser cannot read at all is refused at its FILE:LINE.
 */
describe('a Match line with !all', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-match-not-all-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, lines: string[]) => {
    const file = join(dir, name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
    return file;
  };
  const ssh = (file: string, host: string) => spawnSync('ssh', ['-G', '-F', file, host], { encoding: 'utf8' });
  const sshUser = (file: string, host: string) => /^user (.*)$/m.exec(ssh(file, host).stdout)?.[1];
  const sshPort = (file: string, host: string) => Number(/^port (.*)$/m.exec(ssh(file, host).stdout)?.[1]);
  const load = (file: string) => {
    const warnings: string[] = [];
    const config = loadSshConfig(file, (m) => warnings.push(m), dir);
    return { warnings, values: (host: string) => sshConfigFor(config, { name: host, address: host }, (m) => warnings.push(m)) };
  };

  const takenBySsh = ['Match !all', 'Match !ALL', 'Match final !all', 'Match host web1 !all', 'Match canonical !all', 'Match host web1 !all # never', 'Match = !all', 'Match !host other !all', 'Match exec true !all'];

  (sshClientMissing ? it.skip : it)('loads each line ssh takes, its block applying to no host, as ssh -G reads it, with no warning', () => {
    for (const match of takenBySsh) {
      // The block first: its Port would win over Host *'s wherever it applied.
      const file = write('config', [match, '  User deploy', '  Port 2201', 'Host *', '  Port 2200']);
      const checked = ssh(file, 'web1');
      expect({ match, status: checked.status, refused: /line \d+:|terminating/.test(checked.stderr) }).toEqual({ match, status: 0, refused: false });
      const { warnings, values } = load(file);
      const ours = values('web1');
      // ssh -G names the local user where no block gives one, gridops its own default: compared only where the block's would apply.
      expect({ match, deploy: ours.user === 'deploy', port: ours.port }).toEqual({ match, deploy: sshUser(file, 'web1') === 'deploy', port: sshPort(file, 'web1') });
      expect({ match, deploy: ours.user === 'deploy', port: ours.port }).toEqual({ match, deploy: false, port: 2200 });
      expect({ match, warnings }).toEqual({ match, warnings: [] });
    }
  });

  // Host lines ssh's second pass judges against the HostName the first gave: only the second pass applies `Host 10.0.0.7` to web1.
  (sshClientMissing ? it.skip : it)('a final before !all still makes the second pass ssh makes; canonical alone makes none', () => {
    for (const [match, second] of [
      ['Match final !all', true],
      ['Match !final !all', true],
      ['Match canonical !all', false],
      ['Match !all', false],
    ] as const) {
      const file = write('config', ['Host web1', '  HostName 10.0.0.7', 'Host 10.0.0.7', '  User second', match, '  User never']);
      expect({ match, second: sshUser(file, 'web1') === 'second' }).toEqual({ match, second });
      const ours = load(file).values('web1');
      expect({ match, second: ours.user === 'second', never: ours.user === 'never' }).toEqual({ match, second, never: false });
    }
    // `Match canonical` matches in that second pass, as ssh judges it.
    const file = write('config', ['Host web1', '  HostName r1', 'Match final !all', '  User never', 'Match canonical host r1', '  User c']);
    expect(sshUser(file, 'web1')).toBe('c');
    expect(load(file).values('web1').user).toBe('c');
  });

  (sshClientMissing ? it.skip : it)('with an Include inside the block, and in an included file, as ssh -G reads them', () => {
    write('conf.d/never', ['User never']);
    const included = write('conf.d/blocks', ['Match host web1 !all', '  Port 2299', 'Host web1', '  User included']);
    // The top-level Include first: a block runs to the next Host or Match line, whatever the indentation.
    const file = write('config', [`Include ${included}`, 'Match !all', `  Include ${join(dir, 'conf.d', 'never')}`]);
    expect({ user: sshUser(file, 'web1'), port: sshPort(file, 'web1') }).toEqual({ user: 'included', port: 22 });
    const { warnings, values } = load(file);
    expect({ user: values('web1').user, port: values('web1').port }).toEqual({ user: 'included', port: undefined });
    expect(warnings).toEqual([]);
    // A block an Include opens inside a block: ssh applies it where both match, which !all never does.
    const nested = write('conf.d/nested', ['Match host web1 !all', '  User nested', '  Port 2298']);
    const outer = write('outer', ['Host *', `  Include ${nested}`, '  Port 2200']);
    expect({ nested: sshUser(outer, 'web1') === 'nested', port: sshPort(outer, 'web1') }).toEqual({ nested: false, port: 2200 });
    const loaded = load(outer);
    expect({ nested: loaded.values('web1').user === 'nested', port: loaded.values('web1').port, warnings: loaded.warnings }).toEqual({ nested: false, port: 2200, warnings: [] });
  });

  (sshClientMissing ? it.skip : it)('refuses !all where ssh refuses it, at its FILE:LINE, saying to remove the block', () => {
    for (const match of ['Match all !all', 'Match !all all', 'Match !all !all', 'Match final canonical !all', 'Match !all host web1']) {
      const file = write('config', ['Host *', '  Port 2200', match, '  User deploy']);
      expect({ match, sshRefuses: ssh(file, 'web1').stderr.includes('cannot be combined with other Match attributes') }).toEqual({ match, sshRefuses: true });
      expect(() => loadSshConfig(file, () => undefined, dir)).toThrow(
        expect.objectContaining({ message: expect.stringContaining(`${file}:3: ${match}: ssh refuses this line`), hint: 'remove this Match block: !all matches no host, so wherever ssh takes it the block never applies' }),
      );
    }
  });
});

/** A line the parser cannot read is refused naming its FILE:LINE and what to do, never with the parser's bare message. */
describe('a line the ssh_config parser cannot read', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-unparsable-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, lines: string[]) => {
    const file = join(dir, name);
    writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
    return file;
  };

  it.each([
    ['Match host', 'Match criterion host needs a value'],
    ['Match !final host', 'Match criterion host needs a value'],
    ['IdentityFile "~/.ssh/id_a', 'an unclosed quote or a trailing backslash'],
    ['User deploy\\', 'an unclosed quote or a trailing backslash'],
    ['Host', 'no value after Host'],
    ['  SendEnv', 'no value after SendEnv'],
  ])('%s is refused at its FILE:LINE', (line, reason) => {
    const file = write('config', ['# fleet', 'Host *', '', '  Port 2200', line, '  User deploy']);
    let thrown: (Error & { hint?: string }) | undefined;
    try {
      loadSshConfig(file, () => undefined, dir);
    } catch (err) {
      thrown = err as Error & { hint?: string };
    }
    expect(thrown?.message).toBe(`${file}:5: ${line.trim()}: gridops cannot read this line: ${reason}`);
    expect(thrown?.hint).toBe(`correct or remove that line (\`ssh -G -F ${file} HOST\` shows whether ssh reads the file)`);
  });

  it("names the ssh -G to check it with quoted for the shell, where the file's path holds a space", () => {
    const file = write('my config', ['Host *', '  Match host']);
    let thrown: (Error & { hint?: string }) | undefined;
    try {
      loadSshConfig(file, () => undefined, dir);
    } catch (err) {
      thrown = err as Error & { hint?: string };
    }
    expect(thrown?.hint).toBe(`correct or remove that line (\`ssh -G -F '${file}' HOST\` shows whether ssh reads the file)`);
  });

  it('in an included file, naming that file and the Include that led to it', () => {
    const included = write('broken', ['Host web1', '  Match host']);
    const file = write('config', ['Host *', `  Include ${included}`]);
    expect(() => loadSshConfig(file, () => undefined, dir)).toThrow(expect.objectContaining({ message: `${included}:2: Match host (included at ${file}:2): gridops cannot read this line: Match criterion host needs a value` }));
  });

  it('in the system-wide file, which ssh reads after the user file', () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, '.ssh'), { recursive: true });
    const systemFile = write('ssh_config', ['Match !all', '  HashKnownHosts no', 'Host *', '  HashKnownHosts yes']);
    expect(sshConfigFor(loadSshConfig(undefined, () => undefined, home, systemFile), { name: 'web1', address: 'web1' }).hashKnownHosts).toBe(true);
    const broken = write('ssh_config', ['Host *', '  SendEnv']);
    expect(() => loadSshConfig(undefined, () => undefined, home, broken)).toThrow(expect.objectContaining({ message: `${broken}:2: SendEnv: gridops cannot read this line: no value after SendEnv` }));
  });
});
