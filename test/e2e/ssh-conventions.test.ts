/**
 * OpenSSH conventions against real sshd servers on 127.0.0.1 (test/transport/sshd-harness.ts):
 * host certificates signed with `ssh-keygen -s` and trusted through an `@cert-authority` line,
 * and ~/.ssh/config supplying what the topology leaves out.
 */
import { jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HostKeyError } from '../../src/errors/index.js';
import { KnownHosts } from '../../src/transport/known-hosts.js';
import type { SshSessionOptions } from '../../src/transport/ssh-session-options.js';
import { SshTransport } from '../../src/transport/ssh-transport.js';
import { makeKey, startSshd, tempDir, type KeyPair, type Sshd } from '../transport/sshd-harness.js';
import { gridops } from './support/cli.js';
import { describeWithTools, SSHD_TOOL } from './support/needs-tools.js';

jest.setTimeout(60_000);
describeWithTools('host certificates (@cert-authority) and ~/.ssh/config, against real sshd', { tools: SSHD_TOOL, rootOnly: true }, () => {
  let dir: string;
  let ca: KeyPair;
  let otherCa: KeyPair;
  let clientKey: KeyPair;
  const servers: Sshd[] = [];

  /** An sshd whose host key carries a certificate signed by `signer` with these principals and validity. */
  const certifiedSshd = async (name: string, signer: KeyPair, principals: string, validity = '-5m:+1h') => {
    const hostKey = makeKey(join(dir, `${name}_host`));
    execFileSync('ssh-keygen', ['-q', '-s', signer.file, '-I', `${name}-id`, '-h', '-n', principals, '-V', validity, `${hostKey.file}.pub`]);
    const sshd = await startSshd(dir, name, hostKey, join(dir, 'authorized_keys'), [`HostCertificate ${hostKey.file}-cert.pub`]);
    servers.push(sshd);
    return sshd;
  };
  const options = (knownHosts: KnownHosts): SshSessionOptions => ({ knownHosts, agentSocket: null, retry: { retries: 0, refusedRetries: 0, unansweredRetries: 0, baseDelayMs: 10, maxDelayMs: 10 } });
  const trusting = (caKey: KeyPair, pattern = '[127.0.0.1]:*') => KnownHosts.fromText(`@cert-authority ${pattern} ${caKey.pub}\n`, join(dir, 'known_hosts'));

  beforeAll(() => {
    dir = tempDir('gridops-sshconv-');
    ca = makeKey(join(dir, 'ca'));
    otherCa = makeKey(join(dir, 'other_ca'));
    clientKey = makeKey(join(dir, 'client'));
    writeFileSync(join(dir, 'authorized_keys'), `${clientKey.pub}\n`);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('connects to a host known only through the CA that signed its host certificate', async () => {
    const sshd = await certifiedSshd('good', ca, '127.0.0.1,good.example.org');
    const t = await SshTransport.connect({ host: '127.0.0.1', port: sshd.port, identityFiles: [clientKey.file] }, options(trusting(ca)));
    try {
      expect((await t.exec('echo certified')).stdout.trim()).toBe('certified');
    } finally {
      await t.close();
    }
  });

  it.each([
    ['signed by a CA known_hosts does not trust', 'other-ca', () => otherCa, '127.0.0.1', '-5m:+1h', /no @cert-authority key trusted for 127.0.0.1 signed it/],
    ['for other principals', 'wrong-name', () => ca, 'someone-else.example.org', '-5m:+1h', /principals \(someone-else.example.org\) do not include 127.0.0.1/],
    ['expired', 'expired', () => ca, '127.0.0.1', '-2h:-1h', /out of date: it expired on .* \(valid from .*\)/],
  ])('refuses a host certificate %s, naming why', async (_what, name, signer, principals, validity, reason) => {
    const sshd = await certifiedSshd(name, signer(), principals, validity);
    const err = await SshTransport.connect({ host: '127.0.0.1', port: sshd.port, identityFiles: [clientKey.file] }, options(trusting(ca))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostKeyError);
    expect((err as Error).message).toMatch(/its host certificate is refused/);
    expect((err as Error).message).toMatch(reason);
  });

  it('a CA line for other hosts does not vouch for this one', async () => {
    const sshd = await certifiedSshd('pattern', ca, '127.0.0.1');
    const err = await SshTransport.connect({ host: '127.0.0.1', port: sshd.port, identityFiles: [clientKey.file] }, options(trusting(ca, '*.example.org'))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostKeyError);
    expect((err as Error).message).toMatch(/unknown host key/);
  });

  it('gridops status reaches a node through ~/.ssh/config (HostName, Port, User, IdentityFile) where the topology says nothing, and the topology wins where it does', async () => {
    const sshd = await certifiedSshd('config', ca, '127.0.0.1');
    const home = join(dir, 'home');
    mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
    writeFileSync(join(home, '.ssh', 'config'), `Host alias-01\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User root\n  IdentityFile ${clientKey.file}\nHost alias-02\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  IdentityFile ${clientKey.file}\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'known_hosts'), `@cert-authority [127.0.0.1]:* ${ca.pub}\n`);
    const topology = join(dir, 'topology.yaml');
    writeFileSync(topology, [
      'apiVersion: gridops/v1',
      'kind: Grid',
      'metadata: { name: sshconf }',
      `defaults: { ssh: { knownHosts: ${join(dir, 'known_hosts')} } }`,
      'regions:',
      '  - name: r1',
      '    regionPeerName: r1.example.org',
      '    subgrids:',
      '      - name: s1',
      '        nodes:',
      '          - { name: n1, address: alias-01 }',
      '          - { name: n2, address: alias-02, ssh: { user: nobody-here } }',
      '',
    ].join('\n'));
    const env = { HOME: home, SSH_AUTH_SOCK: '' };
    const r = gridops(['status', topology, '--json'], { env, timeoutMs: 60_000 });
    if (!r.stdout.includes('"nodes"')) throw new Error(`status failed: ${r.stdout}\n${r.stderr}`);
    const data = JSON.parse(r.stdout) as { nodes: Array<{ node: string; reachable: boolean; error?: string }> };
    expect(data.nodes[0]).toMatchObject({ node: 'n1', reachable: true });
    // n2: ~/.ssh/config has no User, the topology says nobody-here: the topology's user is the one tried
    expect(data.nodes[1]!.reachable).toBe(false);
    expect(data.nodes[1]!.error).toContain('authentication failed for nobody-here@127.0.0.1');
  });
});
