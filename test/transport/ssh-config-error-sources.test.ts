import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import SSHConfig from 'ssh-config';
import { connectionTarget, loadSshConfig, refuseProxyCommand, sshConfigFor } from '../../src/transport/ssh-config.js';
import { node } from '../resources/fixtures.js';

/**
 * An error about a value of the OpenSSH client configuration (a ProxyCommand refused, a second hop,
 * an IdentityFile token gridops does not expand) names the FILE:LINE it was written at, which may be
 * /etc/ssh/ssh_config, not ~/.ssh/config; where no line is known (a config not read from files),
 * "the OpenSSH client configuration".
 */
describe('errors about a value of the OpenSSH client configuration', () => {
  let dir: string;
  let home: string;
  let systemFile: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-error-sources-'));
    home = join(dir, 'home');
    systemFile = join(dir, 'etc-ssh', 'ssh_config');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (file: string, lines: string[]) => {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, lines.join('\n') + '\n');
    chmodSync(file, 0o644);
    return file;
  };
  /** ~/.ssh/config under `home` saying `user`, then the system file saying `system`, as plain ssh reads them. */
  const load = (user: string[], system: string[]) => {
    write(join(home, '.ssh', 'config'), user);
    write(systemFile, system);
    return loadSshConfig(undefined, () => undefined, home, systemFile);
  };
  const n2 = node('n2');

  it("name the system file's line for a ProxyCommand written there", () => {
    const config = load(['Host other', '  Port 2'], ['Host 10.0.0.*', '  ProxyCommand nc %h %p']);
    expect(() => refuseProxyCommand(n2, sshConfigFor(config, n2))).toThrow(`the ProxyCommand at ${systemFile}:2 reaches 10.0.0.2`);
  });

  it("name the system file's line for a jump host's own route", () => {
    const config = load(['Host 10.0.0.*', '  ProxyJump gw'], ['Host gw', '  ProxyJump gw2']);
    expect(() => connectionTarget(n2, sshConfigFor(config, n2))).toThrow(`the jump host gw is reached through ProxyJump gw2 (${systemFile}:2): more than one hop`);
  });

  it("name the system file's line for a ProxyJump of two hops", () => {
    const config = load(['Host other', '  Port 2'], ['Host 10.0.0.*', '  ProxyJump gw1,gw2']);
    expect(() => connectionTarget(n2, sshConfigFor(config, n2))).toThrow(`ProxyJump gw1,gw2 (${systemFile}:2) has more than one hop`);
  });

  it("name the system file's line for an IdentityFile token gridops does not expand", () => {
    const config = load(['Host other', '  Port 2'], ['Host *', '  IdentityFile ~/.ssh/id_%C']);
    expect(() => connectionTarget(n2, sshConfigFor(config, n2))).toThrow(`IdentityFile ~/.ssh/id_%C (${systemFile}:2) uses %C, which gridops does not expand`);
  });

  it('say "the OpenSSH client configuration" where no line is known, never ~/.ssh/config', () => {
    const parsed = SSHConfig.parse('Host 10.0.0.*\n  ProxyCommand nc %h %p\n  IdentityFile ~/.ssh/id_%C\n');
    expect(() => refuseProxyCommand(n2, sshConfigFor(parsed, n2))).toThrow('the ProxyCommand of the OpenSSH client configuration reaches 10.0.0.2');
    expect(() => connectionTarget(n2, sshConfigFor(parsed, n2))).toThrow("the OpenSSH client configuration's IdentityFile ~/.ssh/id_%C uses %C");
    expect(() => connectionTarget(n2, { proxyJump: 'gw1,gw2' })).toThrow(/^n2: ProxyJump gw1,gw2 has more than one hop/);
    expect(() => connectionTarget(n2, { proxyJump: 'gw', proxyJumpRoute: 'ProxyJump gw2' })).toThrow('the jump host gw is reached through ProxyJump gw2 (the OpenSSH client configuration): more than one hop');
  });
});
