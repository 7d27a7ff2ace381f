import { EventEmitter } from 'node:events';
import type { SFTPWrapper } from 'ssh2';
import { KeptSftp } from '../../src/transport/kept-sftp.js';
import { querySftp, SftpUnanswered } from '../../src/transport/sftp-queries.js';

/** A session that records end() and answers nothing by itself. */
class FakeSession extends EventEmitter {
  ended = false;
  end(): void {
    this.ended = true;
  }
}

describe('KeptSftp: one SFTP session handed out until it ends', () => {
  it('hands out the same session; a new one once the server ended it (end, close or error) or it failed to open', async () => {
    const opened: FakeSession[] = [];
    let fail = false;
    const kept = new KeptSftp(async () => {
      if (fail) throw new Error('no sftp subsystem');
      const s = new FakeSession();
      opened.push(s);
      return s as unknown as SFTPWrapper;
    });
    const a = kept.get();
    expect(kept.get()).toBe(a);
    await a;
    for (const event of ['close', 'end', 'error']) {
      const before = kept.get();
      const session = (await before) as unknown as FakeSession;
      session.emit(event, new Error('gone'));
      expect(kept.holds(before)).toBe(false);
      expect(kept.get()).not.toBe(before);
    }
    fail = true;
    await kept.get().catch(() => undefined);
    await kept.get().catch(() => undefined);
    fail = false;
    await expect(kept.get()).resolves.toBeDefined();
    expect(opened.length).toBeGreaterThanOrEqual(4);
  });

  it('drop ends the session and hands it out no more; dropping an older one leaves the newer alone', async () => {
    const kept = new KeptSftp(async () => new FakeSession() as unknown as SFTPWrapper);
    const first = kept.get();
    kept.drop(first);
    await Promise.resolve();
    expect(((await first) as unknown as FakeSession).ended).toBe(true);
    const second = kept.get();
    expect(second).not.toBe(first);
    kept.drop(first);
    expect(kept.holds(second)).toBe(true);
    expect(((await second) as unknown as FakeSession).ended).toBe(false);
  });
});

describe('querySftp on a session that ends under it', () => {
  it('fails at once for what is asked after the end, instead of waiting for an answer that never comes', async () => {
    const session = new FakeSession();
    const attrs = { mode: 0o100644, uid: 0, gid: 0, size: 3 };
    // lstat answers, then the session ends before the file is opened; the open is never answered (ssh2 sends nothing on a closed channel).
    Object.assign(session, {
      lstat: (_path: string, cb: (err: Error | undefined, stats: typeof attrs) => void) =>
        setImmediate(() => {
          session.emit('close');
          cb(undefined, attrs);
        }),
      open: () => undefined,
    });
    const started = Date.now();
    await expect(querySftp(session as unknown as SFTPWrapper, [{ path: '/etc/x', lstat: true, read: 4096 }])).rejects.toBeInstanceOf(SftpUnanswered);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
