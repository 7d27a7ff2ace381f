import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionError, InterruptedError } from '../../src/errors/index.js';
import { CommandTimeoutError } from '../../src/transport/errors.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { quote } from '../../src/transport/quote.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';

describe('RecordingTransport', () => {
  it('answers scripted commands, records every call in order, and fakes a filesystem', async () => {
    const host = new RecordingTransport('web1')
      .file('/etc/hostname', 'web1\n')
      .on(/^systemctl is-active (\S+)$/, (_cmd, { match }) => ({ stdout: match[1] === 'sshd' ? 'active\n' : 'inactive\n', code: match[1] === 'sshd' ? 0 : 3 }));
    expect((await host.exec('systemctl is-active sshd')).stdout).toBe('active\n');
    expect((await host.exec('systemctl is-active gridagent', { become: true })).code).toBe(3);
    await host.upload('/etc/gridops.conf', 'a=1\n', { mode: 0o600, become: true });
    expect((await host.read('/etc/gridops.conf'))?.toString()).toBe('a=1\n');
    expect(await host.read('/nope')).toBeNull();
    expect(host.transcript()).toEqual([
      'exec systemctl is-active sshd',
      'sudo exec systemctl is-active gridagent',
      'sudo upload /etc/gridops.conf (600, 4 bytes)',
    ]);
    expect(host.calls.map((c) => c.kind)).toEqual(['exec', 'exec', 'upload', 'read', 'read']);
  });

  it('throws on an unscripted command unless told otherwise; later responders win', async () => {
    const host = new RecordingTransport('h');
    await expect(host.exec('rm -rf /')).rejects.toThrow(/no responder for command: rm -rf \//);
    host.on(/^x/, { stdout: 'first' }).on(/^x/, { stdout: 'second' });
    expect((await host.exec('x')).stdout).toBe('second');
    expect((await new RecordingTransport('h', { unscripted: 'ok' }).exec('anything')).code).toBe(0);
  });

  it('refuses work after close, as an SSH connection does, and records none of it', async () => {
    const host = new RecordingTransport('h', { unscripted: 'ok' });
    await host.close();
    await expect(host.exec('true')).rejects.toThrow(ConnectionError);
    await expect(host.upload('/etc/x', 'x')).rejects.toThrow(/h: the connection is already closed/);
    await expect(host.read('/etc/x')).rejects.toThrow(ConnectionError);
    expect(host.calls).toEqual([{ kind: 'close' }]);
    // After Ctrl-C, as on a real connection, the interrupt is what it says.
    const ac = new AbortController();
    ac.abort();
    await expect(host.exec('true', { signal: ac.signal })).rejects.toThrow(InterruptedError);
  });
});

describe('LocalTransport', () => {
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'gridops-local-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const t = new LocalTransport('local', { PATH: '/usr/bin:/bin' });

  it('runs sh -c with stdin and keeps trailing newlines', async () => {
    const r = await t.exec('cat; echo err >&2; exit 7', { stdin: 'in\n' });
    expect(r).toEqual({ stdout: 'in\n', stderr: 'err\n', code: 7 });
  });

  it('uploads atomically with the mode and reads back; missing → null', async () => {
    const p = join(dir, `it's a "file" $(x)`);
    const content = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
    await t.upload(p, content, { mode: 0o640 });
    expect(statSync(p).mode & 0o777).toBe(0o640);
    expect((await t.read(p))!.equals(content)).toBe(true);
    expect(readFileSync(p).equals(content)).toBe(true);
    expect(await t.read(join(dir, 'missing'))).toBeNull();
    expect((await t.exec(`cat -- ${quote(p)} | wc -c`)).stdout.trim()).toBe('512');
  });

  it('uploads a local file by its path (streamed, as the sandbox image goes)', async () => {
    const source = join(dir, 'image.raw');
    const content = Buffer.alloc(3 * 1024 * 1024 + 5, 9);
    writeFileSync(source, content);
    const plain = join(dir, 'copy.raw');
    await t.upload(plain, { localPath: source }, { mode: 0o640 });
    expect(statSync(plain).mode & 0o777).toBe(0o640);
    expect(readFileSync(plain).equals(content)).toBe(true);
  });

  // rootOnlyDir needs root (or become, which the sudo test below covers).
  (asRoot ? it : it.skip)('uploads a local file by its path into a root-only directory', async () => {
    const source = join(dir, 'image-root.raw');
    const content = Buffer.alloc(3 * 1024 * 1024 + 5, 9);
    writeFileSync(source, content);
    const staged = join(dir, 'staging', 'base-image.part');
    await t.upload(staged, { localPath: source }, { mode: 0o600, rootOnlyDir: true });
    await t.upload(staged, { localPath: source }, { mode: 0o600, rootOnlyDir: true });
    expect(statSync(staged).mode & 0o777).toBe(0o600);
    expect(readFileSync(staged).equals(content)).toBe(true);
  });

  (asRoot ? it : it.skip)('become is a no-op as root', async () => {
    expect((await t.exec('id -u', { become: true })).stdout).toBe('0\n');
  });

  // As root, sudo -n lets the test take the non-root path (cat, chmod and mv under sudo).
  (asRoot ? it : it.skip)('uploads through sudo for a user who is not root: a directory at the target is refused, not moved into, and no temp file is left', async () => {
    const asUser = new (class extends LocalTransport {
      override readonly user = 'gridops-test-user';
    })('local', { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' });
    const base = join(dir, 'become');
    mkdirSync(join(base, 'a-directory'), { recursive: true });
    await asUser.upload(join(base, 'plain'), 'one\n', { mode: 0o600, become: true });
    expect(readFileSync(join(base, 'plain'), 'utf8')).toBe('one\n');
    expect(statSync(join(base, 'plain')).mode & 0o777).toBe(0o600);
    await expect(asUser.upload(join(base, 'a-directory'), 'two\n', { become: true })).rejects.toThrow(/upload .*a-directory/);
    expect(readdirSync(join(base, 'a-directory'))).toEqual([]);
    expect(readdirSync(base).sort()).toEqual(['a-directory', 'plain']);
  });

  it('kills a command past its timeout', async () => {
    const t0 = Date.now();
    await expect(t.exec('sleep 5', { timeoutMs: 200 })).rejects.toBeInstanceOf(CommandTimeoutError);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('an aborted signal refuses to start', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(t.exec('true', { signal: ac.signal })).rejects.toBeInstanceOf(InterruptedError);
  });
});
