import { EventEmitter } from 'node:events';
import type { SFTPWrapper } from 'ssh2';
import { querySftp, SftpUnanswered } from '../../src/transport/sftp-queries.js';

/**
 * querySftp against a scripted SFTP server: what it asks, how it reads a file (by lstat's size,
 * in chunks where that says 0), and which failures mean "missing" (the server's own answer) and
 * which mean "ask the shell" (a session that stopped answering).
 */
interface FakeFile {
  mode: number;
  size: number;
  content?: Buffer;
  /** The most one read returns (a /proc file's page). */
  page?: number;
  /** An error (an SFTP status code, or none: a session gone) for its lstat, stat, open or read. */
  fail?: Partial<Record<'lstat' | 'stat' | 'open' | 'read', number | null>>;
}

function fakeSftp(files: Record<string, FakeFile>) {
  const calls: string[] = [];
  const closed: string[] = [];
  const error = (code: number | null) => Object.assign(new Error(code === null ? 'No response from server' : `status ${code}`), code === null ? {} : { code });
  const stats = (f: FakeFile) => ({ mode: f.mode, uid: 0, gid: 0, size: f.size });
  // A session is an EventEmitter (its end and close), as ssh2's is.
  const sftp = Object.assign(new EventEmitter(), {
    lstat(path: string, cb: (err: Error | undefined, s?: unknown) => void) {
      calls.push(`lstat ${path}`);
      const f = files[path];
      setImmediate(() => (!f ? cb(error(2)) : f.fail?.lstat !== undefined ? cb(error(f.fail.lstat)) : cb(undefined, stats(f))));
    },
    stat(path: string, cb: (err: Error | undefined, s?: unknown) => void) {
      calls.push(`stat ${path}`);
      const f = files[path];
      setImmediate(() => (!f ? cb(error(2)) : f.fail?.stat !== undefined ? cb(error(f.fail.stat)) : cb(undefined, stats(f))));
    },
    open(path: string, _flags: string, cb: (err: Error | undefined, h?: Buffer) => void) {
      calls.push(`open ${path}`);
      const f = files[path]!;
      setImmediate(() => (f.fail?.open !== undefined ? cb(error(f.fail.open)) : cb(undefined, Buffer.from(path))));
    },
    read(handle: Buffer, buf: Buffer, off: number, len: number, pos: number, cb: (err: Error | undefined, n?: number) => void) {
      const path = handle.toString();
      calls.push(`read ${path} ${pos}+${len}`);
      const f = files[path]!;
      setImmediate(() => {
        if (f.fail?.read !== undefined) return cb(error(f.fail.read));
        const content = f.content ?? Buffer.alloc(0);
        if (pos >= content.length) return cb(error(1));
        const n = Math.min(len, content.length - pos, f.page ?? Infinity);
        content.copy(buf, off, pos, pos + n);
        cb(undefined, n);
      });
    },
    close(handle: Buffer, cb: () => void) {
      closed.push(handle.toString());
      cb();
    },
  });
  return { sftp: sftp as unknown as SFTPWrapper, calls, closed };
}

const REG = 0o100644;

describe('querySftp', () => {
  it('reads a regular file in one request of its size and one byte more, and closes it without waiting', async () => {
    const { sftp, calls, closed } = fakeSftp({ '/etc/a': { mode: REG, size: 6, content: Buffer.from('hello\n') } });
    const answers = await querySftp(sftp, [{ path: '/etc/a', lstat: true, read: 1024 }]);
    expect(answers.get('/etc/a')).toEqual({ lstat: { mode: REG, uid: 0, gid: 0, size: 6 }, content: Buffer.from('hello\n') });
    expect(calls).toEqual(['lstat /etc/a', 'open /etc/a', 'read /etc/a 0+7']);
    expect(closed).toEqual(['/etc/a']);
  });

  it('reads a file that says size 0 (a /proc file) a chunk at a time to its end', async () => {
    const content = Buffer.from('x'.repeat(10_000));
    const { sftp, calls } = fakeSftp({ '/proc/mounts': { mode: REG, size: 0, content, page: 4096 } });
    const answers = await querySftp(sftp, [{ path: '/proc/mounts', read: 262_144 }]);
    expect(answers.get('/proc/mounts')!.content).toEqual(content);
    expect(calls.filter((c) => c.startsWith('read'))).toHaveLength(4); // 4096, 4096, 1808, then the end
  });

  it('shows a file that grew since its lstat by the byte more, and does not read one larger than asked', async () => {
    const { sftp, calls } = fakeSftp({ '/grew': { mode: REG, size: 3, content: Buffer.from('abcdef') }, '/big': { mode: REG, size: 5000, content: Buffer.alloc(5000) } });
    const answers = await querySftp(sftp, [{ path: '/grew', lstat: true, read: 1024 }, { path: '/big', lstat: true, read: 1024 }]);
    expect(answers.get('/grew')!.content).toEqual(Buffer.from('abcd'));
    expect(answers.get('/big')).toEqual({ lstat: { mode: REG, uid: 0, gid: 0, size: 5000 } });
    expect(calls).not.toContain('open /big');
  });

  it('opens only regular files: a FIFO, a directory and a link get their attributes alone', async () => {
    const { sftp, calls } = fakeSftp({ '/fifo': { mode: 0o10644, size: 0 }, '/dir': { mode: 0o40755, size: 4096 }, '/link': { mode: 0o120777, size: 4 } });
    const answers = await querySftp(sftp, ['/fifo', '/dir', '/link'].map((path) => ({ path, lstat: true, read: 1024 })));
    expect([...answers.values()].map((a) => a.content)).toEqual([undefined, undefined, undefined]);
    expect(calls.some((c) => c.startsWith('open'))).toBe(false);
  });

  it("takes the server's refusals (no such file, permission denied, failure) for a path that cannot be stat'ed or read", async () => {
    const { sftp } = fakeSftp({ '/denied': { mode: REG, size: 1, fail: { lstat: 3, stat: 3 } }, '/unreadable': { mode: REG, size: 1, fail: { open: 3 } }, '/io': { mode: REG, size: 1, fail: { read: 4 } } });
    const answers = await querySftp(sftp, [
      { path: '/missing', lstat: true, stat: true },
      { path: '/denied', lstat: true, stat: true },
      { path: '/unreadable', lstat: true, read: 10 },
      { path: '/io', lstat: true, read: 10 },
    ]);
    expect(answers.get('/missing')).toEqual({ lstat: null, stat: null });
    expect(answers.get('/denied')).toEqual({ lstat: null, stat: null });
    expect(answers.get('/unreadable')!.content).toBeNull();
    expect(answers.get('/io')!.content).toBeNull();
  });

  it('refuses to answer when the session stops answering or leaves out attributes: that says nothing about the path', async () => {
    for (const fail of [{ lstat: null }, { stat: null }, { open: null }, { read: null }, { lstat: 8 /* op unsupported */ }]) {
      const { sftp } = fakeSftp({ '/f': { mode: REG, size: 1, content: Buffer.from('x'), fail } });
      await expect(querySftp(sftp, [{ path: '/f', lstat: true, stat: true, read: 10 }])).rejects.toThrow(SftpUnanswered);
    }
    const { sftp } = fakeSftp({ '/typeless': { mode: 0o644, size: 1 } });
    await expect(querySftp(sftp, [{ path: '/typeless', lstat: true }])).rejects.toThrow(SftpUnanswered);
  });
});
