/**
 * SshTransport.upload of a local file by its path against a real sshd (loopback): streamed over
 * SFTP in chunks (sftp-put-file.ts), with the mode, atomically into place, and made anew in a
 * root-only directory, as the sandbox's base image goes. As root only (sshd's root login).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatKnownHostsLine, KnownHosts } from '../../src/transport/known-hosts.js';
import { SshTransport } from '../../src/transport/ssh-transport.js';
import { makeKey, startSshd, tempDir, type Sshd } from './sshd-harness.js';

const asRoot = process.getuid?.() === 0;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

(asRoot ? describe : describe.skip)('SshTransport.upload of a local file', () => {
  let dir: string;
  let sshd: Sshd;
  let t: SshTransport;

  beforeAll(async () => {
    dir = tempDir('gridops-upload-file-');
    const client = makeKey(join(dir, 'id'));
    const host = makeKey(join(dir, 'host'));
    writeFileSync(join(dir, 'authorized_keys'), `${client.pub}\n`);
    sshd = await startSshd(dir, 'upload', host, join(dir, 'authorized_keys'));
    const knownHosts = KnownHosts.fromText(`${formatKnownHostsLine('127.0.0.1', sshd.port, host.blob)}\n`);
    t = await SshTransport.connect({ name: 'n1', host: '127.0.0.1', port: sshd.port, user: 'root', identityFiles: [client.file] }, { knownHosts, agentSocket: null, readyTimeoutMs: 5000 });
  });
  afterAll(async () => {
    await t?.close();
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('streams it into place with the mode, and into a root-only directory made anew; the bytes arrive whole', async () => {
    const image = join(dir, 'image.raw');
    const bytes = randomBytes(24 * 1024 * 1024 + 17);
    writeFileSync(image, bytes);
    const plain = join(dir, 'target', 'copy.raw');
    rmSync(join(dir, 'target'), { recursive: true, force: true });
    mkdirSync(join(dir, 'target'));
    await t.upload(plain, { localPath: image }, { mode: 0o640 });
    expect(sha(readFileSync(plain))).toBe(sha(bytes));
    expect(statSync(plain).mode & 0o777).toBe(0o640);
    // Renamed into place: no temp file left beside it.
    expect(readdirSync(join(dir, 'target'))).toEqual(['copy.raw']);
    const staged = join(dir, 'staging', 'base-image.part');
    await t.upload(staged, { localPath: image }, { mode: 0o600, rootOnlyDir: true });
    await t.upload(staged, { localPath: image }, { mode: 0o600, rootOnlyDir: true });
    expect(sha(readFileSync(staged))).toBe(sha(bytes));
    expect(statSync(staged).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'staging')).mode & 0o777).toBe(0o700);
  }, 60_000);

  it('a local file that is not there fails the upload and leaves nothing at the target', async () => {
    const target = join(dir, 'target', 'missing.raw');
    await expect(t.upload(target, { localPath: join(dir, 'no-such-image') }, { mode: 0o600 })).rejects.toThrow(/ENOENT/);
    expect(readdirSync(join(dir, 'target')).filter((f) => f.includes('missing'))).toEqual([]);
  });
});
