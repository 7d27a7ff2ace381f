/**
 * A local file written to an SFTP handle in chunks (sftp-put-file.ts), as the sandbox's base image
 * goes: never read whole (an image may be GBs, past what a Buffer holds), with a bounded number
 * of writes in flight, so the run's memory stays bounded whatever the file's size.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sftpPutFile, type SftpFileWriter } from '../../src/transport/sftp-put-file.js';

/** An SFTP session that answers after a tick, and records each write's size and how many were in flight. */
function fakeSftp(options: { failAt?: number } = {}) {
  const written = new Map<number, Buffer>();
  const sizes: number[] = [];
  const opened: Array<{ path: string; flags: string; mode: number | undefined }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let closed = 0;
  const sftp: SftpFileWriter = {
    open(path, flags, attrs, cb) {
      opened.push({ path, flags, mode: attrs.mode });
      setImmediate(() => cb(undefined, Buffer.from('h')));
    },
    write(_handle, buffer, offset, length, position, cb) {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      sizes.push(length);
      // What ssh2 does: the bytes go into the outgoing packet at once.
      written.set(position, Buffer.from(buffer.subarray(offset, offset + length)));
      // Answered a little later, as over a network: the next writes go out meanwhile.
      setTimeout(() => {
        inFlight--;
        cb(options.failAt !== undefined && position >= options.failAt ? new Error('disk full') : undefined);
      }, 2);
    },
    close(_handle, cb) {
      closed++;
      setImmediate(() => cb(undefined));
    },
  };
  const content = () => Buffer.concat([...written].sort(([a], [b]) => a - b).map(([, b]) => b));
  return { sftp, sizes, opened, content, maxInFlight: () => maxInFlight, closed: () => closed };
}

describe('sftpPutFile', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-put-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('streams a file larger than its chunk in chunks, with a bounded number in flight, and the bytes arrive whole', async () => {
    const file = join(dir, 'image.raw');
    const bytes = randomBytes(1024 * 1024 + 123);
    writeFileSync(file, bytes);
    const fake = fakeSftp();
    await sftpPutFile(fake.sftp, file, '/var/lib/gridops/staging/base-image.part', { flags: 'wx', mode: 0o600, chunkBytes: 64 * 1024, inFlight: 4 });
    expect(fake.opened).toEqual([{ path: '/var/lib/gridops/staging/base-image.part', flags: 'wx', mode: 0o600 }]);
    expect(fake.sizes).toHaveLength(17);
    expect(Math.max(...fake.sizes)).toBe(64 * 1024);
    // Memory bounded: at most `inFlight` chunks (256 KiB here) held at once, not the file.
    expect(fake.maxInFlight()).toBeLessThanOrEqual(4);
    expect(fake.maxInFlight()).toBeGreaterThan(1);
    expect(createHash('sha256').update(fake.content()).digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(fake.closed()).toBe(1);
  });

  it('an empty file is opened (so made) and closed, with no write', async () => {
    const file = join(dir, 'empty');
    writeFileSync(file, '');
    const fake = fakeSftp();
    await sftpPutFile(fake.sftp, file, '/x', { flags: 'w', mode: 0o644 });
    expect(fake.sizes).toEqual([]);
    expect(fake.closed()).toBe(1);
  });

  it('a failed write fails the upload, stops reading, and still closes the handle', async () => {
    const file = join(dir, 'fails');
    writeFileSync(file, randomBytes(512 * 1024));
    const fake = fakeSftp({ failAt: 64 * 1024 });
    await expect(sftpPutFile(fake.sftp, file, '/x', { flags: 'w', mode: 0o600, chunkBytes: 32 * 1024, inFlight: 2 })).rejects.toThrow('disk full');
    expect(fake.sizes.length).toBeLessThan(16);
    expect(fake.closed()).toBe(1);
  });

  it('a local file that cannot be read fails before anything is opened on the host', async () => {
    const fake = fakeSftp();
    await expect(sftpPutFile(fake.sftp, join(dir, 'missing'), '/x', { flags: 'w', mode: 0o600 })).rejects.toThrow(/ENOENT/);
    expect(fake.opened).toEqual([]);
  });
});
