import { jest } from '@jest/globals';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { configFileReader, secureFileRead } from '../../src/transport/ssh-config-include.js';
import { loadSshConfig, sshConfigFor } from '../../src/transport/ssh-config.js';
import { sshClientMissing } from '../support/ssh-dash-g.js';

/**
 * The system-wide ssh_config is scanned as plain text before it is parsed: a file that sets nothing
 * gridops reads but HashKnownHosts, for every host (Debian's stock file), is not parsed, and with no
 * ~/.ssh/config the parser is not loaded at all. Every answer stays the full parse's: the file read
 * as `ssh -F` reads one (loadSshConfig with it named) is that parse.
 */
describe('the system-wide ssh_config, scanned before it is parsed', () => {
  let dir: string;
  let home: string;
  let systemFile: string;
  let confD: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-sysscan-'));
    home = join(dir, 'home');
    systemFile = join(dir, 'etc-ssh', 'ssh_config');
    confD = join(dir, 'etc-ssh', 'ssh_config.d');
    mkdirSync(confD, { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Where a variant's Include leads: this test's ssh_config.d. */
  const CONF_D = '@CONF_D@';
  const write = (file: string, lines: string[], mode = 0o644) => {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, lines.join('\n') + '\n');
    chmodSync(file, mode);
    return file;
  };
  /** Debian's /etc/ssh/ssh_config, its Include led to this test's ssh_config.d. */
  const debianStock = () => [`Include ${CONF_D}/*.conf`, '', 'Host *', '#   ForwardAgent no', '    SendEnv LANG LC_*', '    HashKnownHosts yes', '    GSSAPIAuthentication yes'];

  // First in the file: the parser must not have been loaded by this file's module registry before.
  it("with no ~/.ssh/config and Debian's stock file, the parser is not loaded, and HashKnownHosts still counts", () => {
    const parserModules = () => Object.keys(createRequire(import.meta.url).cache).filter((path) => path.includes('/node_modules/ssh-config/'));
    write(systemFile, debianStock().map((line) => line.replace(CONF_D, confD)));
    const config = loadSshConfig(undefined, () => undefined, home, systemFile);
    const values = [sshConfigFor(config, { name: 'n1', address: '10.0.0.1' }), sshConfigFor(config, { name: 'web1', address: 'web1' })];
    expect({ values, parserModules: parserModules() }).toEqual({ values: [{ hashKnownHosts: true }, { hashKnownHosts: true }], parserModules: [] });
  });

  const USER = ['Host 10.0.0.5', '  User addr', 'Host web1', '  Port 1001', 'Host alias', '  HostName realhost', 'Host realhost', '  Port 2345', 'Host nohash', '  HashKnownHosts no'];
  const NODES = [
    { name: 'web1', address: '10.0.0.5' },
    { name: 'web1', address: 'web1' },
    { name: 'alias', address: 'alias' },
    { name: 'nohash', address: 'nohash' },
    { name: 'n2', address: '10.0.0.9' },
  ];
  const VARIANTS: Record<string, { system: string[]; included?: string[] }> = {
    'Debian stock': { system: debianStock() },
    'Debian stock, ssh_config.d saying HashKnownHosts no first': { system: debianStock(), included: ['# local', 'HashKnownHosts no', 'SendEnv TZ'] },
    'HashKnownHosts no at the top': { system: ['HashKnownHosts=no', 'Host *', '  ForwardX11 no'] },
    'HashKnownHosts in a block for some hosts': { system: ['Host web*', '  HashKnownHosts yes'] },
    'a block of one address, setting nothing gridops reads': { system: ['Host 10.0.0.9', '  SendEnv LANG', 'Host *', '  HashKnownHosts yes'] },
    'a Port for every host': { system: ['Host *', '  Port 2222', '  HashKnownHosts yes'] },
    "Fedora's Match final all": { system: [`Include ${CONF_D}/*.conf`], included: ['Match final all', '  GSSAPIAuthentication yes', '  SendEnv LANG'] },
    'Match final all with HashKnownHosts in it': { system: ['Match final all', '  HashKnownHosts yes'] },
    'a quoted value': { system: ['Host *', '  SendEnv "LANG"', '  HashKnownHosts yes'] },
  };

  for (const [variant, { system, included }] of Object.entries(VARIANTS)) {
    for (const withUserFile of [false, true]) {
      it(`${variant}${withUserFile ? ', after a ~/.ssh/config' : ''}: the answers are the full parse's`, () => {
        // The variants are written before a test's directory exists: its ssh_config.d is put in here.
        write(systemFile, system.map((line) => line.replace(CONF_D, confD)));
        if (included) write(join(confD, '10-local.conf'), included);
        if (withUserFile) write(join(home, '.ssh', 'config'), USER, 0o600);
        // The full parse: the user's lines, then the system file's from outside any block, read as one named file.
        // Each variant's Include is its first line: the included lines come first.
        const whole = write(join(dir, 'whole'), [...(withUserFile ? [...USER, 'Host *'] : []), ...(included ?? []), 'Host *', ...system.filter((l) => !l.startsWith('Include'))], 0o600);
        const scanned = loadSshConfig(undefined, () => undefined, home, systemFile);
        const parsed = loadSshConfig(whole, () => undefined, home);
        for (const node of NODES) expect({ node, values: sshConfigFor(scanned, node) }).toEqual({ node, values: sshConfigFor(parsed, node) });
      });
    }
  }

  // The scan must take a Match line's words in their order: `Match all final` holds Fedora's two words, and ssh refuses it.
  (sshClientMissing ? it.skip : it)('a Match line with all where ssh refuses it is refused with no ~/.ssh/config too, and the ones ssh reads still count', () => {
    const withMatch = (match: string) => write(systemFile, ['Host *', '  HashKnownHosts yes', match, '  SendEnv LANG']);
    const sshSays = (file: string) => {
      const { stdout, stderr } = spawnSync('ssh', ['-G', '-F', file, 'web1'], { encoding: 'utf8' });
      return stderr.includes('cannot be combined with other Match attributes') ? 'refused' : /^hashknownhosts (.*)$/m.exec(stdout)?.[1];
    };
    const oursFor = (file: string) => {
      try {
        return sshConfigFor(loadSshConfig(undefined, () => undefined, home, file), { name: 'web1', address: 'web1' }).hashKnownHosts ? 'yes' : 'no';
      } catch (err) {
        return (err as Error).message.includes(`${file}:3: `) && (err as Error).message.includes('ssh refuses this line') ? 'refused' : (err as Error).message;
      }
    };
    for (const match of ['Match all final', 'Match ALL Final', 'Match all final all', 'Match final final all', 'Match all', 'Match final all', 'Match FINAL All', 'match all']) {
      const file = withMatch(match);
      expect({ match, ours: oursFor(file) }).toEqual({ match, ours: sshSays(file) });
    }
  });

  it('a file the system file includes that others may write is still refused, though nothing in it is read', () => {
    write(systemFile, debianStock().map((line) => line.replace(CONF_D, confD)));
    write(join(confD, '10-local.conf'), ['SendEnv TZ'], 0o646);
    expect(() => loadSshConfig(undefined, () => undefined, home, systemFile)).toThrow('bad permissions (included at');
  });

  it("where the scan gives up (Fedora's Include and Match final all, beside a ~/.ssh/config), each file is opened, checked and read once", () => {
    write(systemFile, [`Include ${confD}/*.conf`]);
    const included = write(join(confD, '50-redhat.conf'), ['Match final all', '  GSSAPIAuthentication yes', '  Port 2222']);
    const userFile = write(join(home, '.ssh', 'config'), ['Host web1', '  User deploy'], 0o600);
    const read = jest.fn(secureFileRead);
    const config = loadSshConfig(undefined, () => undefined, home, systemFile, configFileReader(read));
    expect(sshConfigFor(config, { name: 'web1', address: 'web1' })).toEqual({ user: 'deploy', port: 2222 });
    expect(read.mock.calls.map(([path]) => path).sort()).toEqual([systemFile, included, userFile].sort());
  });
});
