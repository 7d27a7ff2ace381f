/**
 * The hint of an unknown host key for a node reached through a jump host, against a real sshd
 * (loopback) that is both the jump host and, by another name, the node behind it: this machine
 * may have no route to that node, so the hint fetches its key through the jump host, never with a
 * direct ssh-keyscan. As root only (sshd's root login).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HostKeyError } from '../../src/errors/index.js';
import { formatKnownHostsLine, KnownHosts } from '../../src/transport/known-hosts.js';
import { SshTransport } from '../../src/transport/ssh-transport.js';
import { makeKey, startSshd, tempDir, type Sshd } from './sshd-harness.js';

const asRoot = process.getuid?.() === 0;

(asRoot ? describe : describe.skip)('an unknown host key behind a jump host', () => {
  let dir: string;
  let sshd: Sshd;
  let client: ReturnType<typeof makeKey>;
  let knownHostsFile: string;

  beforeAll(async () => {
    dir = tempDir('gridops-unknown-behind-jump-');
    client = makeKey(join(dir, 'id'));
    const host = makeKey(join(dir, 'host'));
    writeFileSync(join(dir, 'authorized_keys'), `${client.pub}\n`);
    sshd = await startSshd(dir, 'jump', host, join(dir, 'authorized_keys'));
    // The jump host's key is known; the node behind it, `localhost` as the jump host names it, is not.
    knownHostsFile = join(dir, 'known_hosts');
    writeFileSync(knownHostsFile, `${formatKnownHostsLine('127.0.0.1', sshd.port, host.blob)}\n`);
  });
  afterAll(async () => {
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('suggests ssh-keyscan run on the jump host, after checking the fingerprint out of band, and no direct ssh-keyscan', async () => {
    const jumpHost = { host: '127.0.0.1', port: sshd.port, user: 'root', identityFile: client.file };
    const error = await SshTransport.connect({ name: 'behind', host: 'localhost', port: sshd.port, user: 'root', identityFiles: [client.file], jumpHost }, { knownHosts: await KnownHosts.load(knownHostsFile), agentSocket: null, readyTimeoutMs: 5000 }).then(
      async (t) => {
        await t.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HostKeyError);
    const hint = (error as HostKeyError).hint!;
    expect(hint).toContain(`\`ssh -p ${sshd.port} root@127.0.0.1 'ssh-keyscan -p ${sshd.port} localhost' >> ${knownHostsFile}\``);
    expect(hint).toMatch(/out of band.*--accept-new-host-keys/);
    expect(hint).not.toMatch(/`ssh-keyscan/);
  });
});
