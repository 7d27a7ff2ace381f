import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withFileLock } from '../../src/fs/file-lock.js';

/** Settles with `work`, or rejects once `ms` passed: a lock that spins must fail the test, not hang it. */
function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms)));
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** The known_hosts lock (FILE.lock) when its file is there but cannot be read, or was left empty by a crash. */
describe('withFileLock: a lock file that cannot be read', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-file-lock-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a directory where the lock file goes is refused within 1 s, naming it and what to do; the work never runs', async () => {
    const file = join(dir, 'known_hosts');
    mkdirSync(`${file}.lock`);
    let ran = false;
    const refused = within(1000, withFileLock(file, async () => (ran = true)));
    await expect(refused).rejects.toThrow(`${file}.lock cannot be read (EISDIR); if no gridops run is using this file, remove the lock file`);
    expect(ran).toBe(false);
  });

  it('an empty lock file a few seconds old (a crash between creating it and writing its holder) is taken over', async () => {
    const file = join(dir, 'known_hosts');
    writeFileSync(`${file}.lock`, '');
    const old = new Date(Date.now() - 10_000);
    utimesSync(`${file}.lock`, old, old);
    expect(await within(1000, withFileLock(file, async () => 'done'))).toBe('done');
    expect(existsSync(`${file}.lock`)).toBe(false);
    expect(existsSync(`${file}.lock.takeover`)).toBe(false);
  });

  it("a live holder's host name is shown escaped once the wait runs out: a lock file may say anything", async () => {
    const file = join(dir, 'known_hosts');
    // This very process, on a "host" whose name holds a terminal sequence: live, so never taken over.
    writeFileSync(`${file}.lock`, `${JSON.stringify({ pid: process.pid, host: 'box\u001b[2J', startedAt: new Date().toISOString() })}\n`);
    const refused = within(15_000, withFileLock(file, async () => 'ran'));
    await expect(refused).rejects.toThrow(`${file}.lock is held by process ${process.pid} on box\\u001b[2J; if no gridops run is using this file, remove the lock file`);
  }, 20_000);
});
