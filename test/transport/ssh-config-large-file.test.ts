import { jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type SSHConfig from 'ssh-config';
import { loadSshConfig, sshConfigFor } from '../../src/transport/ssh-config.js';
import { sshClientMissing, sshDashG } from '../support/ssh-dash-g.js';

/**
 * A ~/.ssh/config of hundreds of blocks, as a large fleet's operator keeps one: each node's lookups
 * must give what `ssh -G` gives, and cost what the blocks that can match the node cost, not every
 * block of the file (a plan looks up every node before it connects anywhere).
 */
describe('a ~/.ssh/config of hundreds of blocks', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-large-ssh-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /**
   * `blocks` blocks naming hosts literally (a name's, with an admin User for every seventh; an
   * address's, with a HostName), then wildcard and Match blocks, `Host *` and a `Match user`;
   * written to DIR/config. Without `fileUser`, no line gives every host a User. With `finalPass`, a
   * `Match final` makes ssh read it twice, the second time judging Host lines against the HostName
   * the first gave (`alias*` is web12's).
   */
  const writeConfig = (blocks: number, { fileUser = true, finalPass = false } = {}) => {
    const lines = ['ServerAliveInterval 30', ...(finalPass ? ['Match final', '  ServerAliveCountMax 3', 'Host alias*', '  HostName web12'] : [])];
    for (let i = 0; i < blocks; i++) {
      if (i % 10 === 9) lines.push(`Host 10.0.${i >> 8}.${i & 255}`, `  User addr${i}`, '  Port 2222', `  HostName host${i}.internal`);
      else lines.push(`Host web${i} web${i}.example.org`, ...(i % 7 === 0 ? ['  User admin'] : [`  Port ${2000 + i}`]), `  IdentityFile /keys/web${i}`);
    }
    for (let i = 0; i < 10; i++) lines.push(`Host *.dc${i}.example.org db${i}* !db${i}0`, `  User dc${i}`, `  ProxyJump jump@gw${i}.example.org`);
    lines.push('Match host *.internal', '  IdentityFile /keys/internal', 'Match originalhost gate*', '  Port 2022');
    lines.push('Host *', ...(fileUser ? ['  User ops'] : []), '  IdentityFile /keys/fleet', 'Match user admin', '  Port 2999');
    const file = join(dir, 'config');
    writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
    return file;
  };
  const load = (file: string) => {
    const warnings: string[] = [];
    const config = loadSshConfig(file, (m) => warnings.push(m), dir);
    expect(warnings).toEqual([]);
    return config;
  };

  /** Every IdentityFile `ssh -G` gives `host`, in its order (a second pass adds to the first's). */
  const sshIdentityFiles = (file: string, host: string) => [...spawnSync('ssh', ['-G', '-F', file, host], { encoding: 'utf8' }).stdout.matchAll(/^identityfile (.*)$/gm)].map((m) => m[1]);
  // Hosts named by a block (an admin's with Match user's Port), by an address's (its HostName matching `Match host`), by wildcards only, excepted by one, by none.
  const sampledHosts = ['web0', 'web1', 'web7', 'web12.example.org', 'web298', '10.0.0.9', '10.0.1.43', '10.0.0.10', 'x.dc3.example.org', 'db31', 'db30', 'gate4', 'unknown'];

  (sshClientMissing ? it.skip : it)("with a `Match final`, each sampled node's values are ssh -G's, the second pass's blocks for its HostName included", () => {
    const file = writeConfig(300, { finalPass: true });
    const config = load(file);
    for (const host of [...sampledHosts, 'alias', 'alias5']) {
      const ours = sshConfigFor(config, { name: host, address: host });
      const ssh = sshDashG(file, host);
      // ssh lists a key the second pass names again once, as gridops must (a key offered twice is a second rejection).
      expect({ host, hostname: ours.hostName ?? host, user: ours.user, port: ours.port ?? 22, identityfile: ours.identityFiles ?? [], proxyjump: ours.proxyJump }).toEqual({ host, ...ssh, identityfile: sshIdentityFiles(file, host) });
    }
    // The second pass judged web12's block against alias5's HostName: its Port, and its key after the fleet's.
    expect(sshConfigFor(config, { name: 'alias5', address: 'alias5' })).toMatchObject({ hostName: 'web12', port: 2012, identityFiles: ['/keys/fleet', '/keys/web12'] });
  });

  (sshClientMissing ? it.skip : it)("each sampled node's HostName, User, Port, first IdentityFile and ProxyJump are ssh -G's", () => {
    const file = writeConfig(300);
    const config = load(file);
    for (const host of sampledHosts) {
      const ours = sshConfigFor(config, { name: host, address: host });
      const ssh = sshDashG(file, host);
      expect({ host, hostname: ours.hostName ?? host, user: ours.user, port: ours.port ?? 22, identityfile: ours.identityFiles?.[0], proxyjump: ours.proxyJump }).toEqual({ host, ...ssh });
    }
    // A node whose address has a block of its own takes that lookup's values, as `ssh ADDRESS`.
    const ours = sshConfigFor(config, { name: 'web5', address: '10.0.0.19' });
    const ssh = sshDashG(file, '10.0.0.19');
    expect({ hostname: ours.hostName, user: ours.user, port: ours.port, identityfile: ours.identityFiles?.[0] }).toEqual({ hostname: ssh.hostname, user: ssh.user, port: ssh.port, identityfile: ssh.identityfile });
  });

  it("a node's lookups judge as many lines with 300 blocks for other hosts as with 30", () => {
    // The parser's class as loadSshConfig loads it (its CommonJS build).
    const { SSHConfig: Parser } = createRequire(import.meta.url)('ssh-config') as typeof import('ssh-config');
    const directives = (lines: readonly unknown[]): number => lines.reduce<number>((n, line) => n + (((line as { type: number }).type === Parser.DIRECTIVE ? 1 : 0) + directives((line as { config?: unknown[] }).config ?? [])), 0);
    const linesJudgedFor = (blocks: number, node: { name: string; address: string }) => {
      // No User for every host: a node whose blocks give none is looked up again as root, for `Match user`.
      const config = load(writeConfig(blocks, { fileUser: false }));
      const compute = jest.spyOn(Parser.prototype, 'compute');
      try {
        sshConfigFor(config, node);
        return (compute.mock.contexts as SSHConfig[]).reduce((n, lines) => n + directives(lines), 0);
      } finally {
        compute.mockRestore();
      }
    };
    for (const node of [
      { name: 'web1', address: '10.0.0.1' },
      { name: 'web19', address: '10.0.0.19' },
      { name: 'db31', address: 'db31' },
    ]) {
      expect(linesJudgedFor(300, node)).toBe(linesJudgedFor(30, node));
    }
  });

  it("with a `Match final`, a node's lookups judge as many lines with 300 blocks for other hosts as with 30", () => {
    const { SSHConfig: Parser } = createRequire(import.meta.url)('ssh-config') as typeof import('ssh-config');
    const directives = (lines: readonly unknown[]): number => lines.reduce<number>((n, line) => n + (((line as { type: number }).type === Parser.DIRECTIVE ? 1 : 0) + directives((line as { config?: unknown[] }).config ?? [])), 0);
    const linesJudgedFor = (blocks: number, node: { name: string; address: string }) => {
      const config = load(writeConfig(blocks, { finalPass: true }));
      const compute = jest.spyOn(Parser.prototype, 'compute');
      try {
        sshConfigFor(config, node);
        return (compute.mock.contexts as SSHConfig[]).reduce((n, lines) => n + directives(lines), 0);
      } finally {
        compute.mockRestore();
      }
    };
    // A name, an address's own block with a HostName, an alias whose second pass judges web12's block.
    for (const node of [
      { name: 'web1', address: '10.0.0.1' },
      { name: 'web19', address: '10.0.0.19' },
      { name: 'alias5', address: 'alias5' },
    ]) {
      expect(linesJudgedFor(300, node)).toBe(linesJudgedFor(30, node));
    }
  });
});
