import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockHeldError } from '../../src/errors/index.js';
import { StateLock } from '../../src/state/lock.js';

/** Settles with `work`, or rejects once `ms` passed: a lock that spins must fail the test, not hang it. */
function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms)));
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/**
 * A lock file that is there but cannot be read (a root-owned 0600 lock a killed `sudo gridops
 * apply` left, a directory, a dangling link) is a held lock for a person to look at, at once:
 * not a contender that spins on it forever, silently. (Root reads any file, so the permission
 * case is the directory's and the link's here; they fail the same read.)
 */
describe('StateLock: a lock file that cannot be read', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-lock-unreadable-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a directory where the lock file goes is refused within 1 s, naming the path and what to do', async () => {
    const file = join(dir, 'g.lock');
    mkdirSync(file);
    const refused = within(1000, StateLock.acquire(file, 'x'));
    await expect(refused).rejects.toBeInstanceOf(LockHeldError);
    await expect(refused).rejects.toThrow(`the state is locked by an unreadable lock file ${file} (EISDIR)`);
    await expect(refused).rejects.toMatchObject({ hint: `if no gridops run is using this state, remove ${file}` });
  });

  it('a dangling symlink as the lock file is refused within 1 s', async () => {
    const file = join(dir, 'g.lock');
    symlinkSync(join(dir, 'nowhere'), file);
    await expect(within(1000, StateLock.acquire(file, 'x'))).rejects.toThrow(`the state is locked by an unreadable lock file ${file}`);
  });

  it('an empty lock file a few seconds old (a crash between creating it and writing its holder) is taken over, with a warning', async () => {
    const file = join(dir, 'g.lock');
    writeFileSync(file, '');
    const old = new Date(Date.now() - 10_000);
    utimesSync(file, old, old);
    const warnings: string[] = [];
    const lock = await within(1000, StateLock.acquire(file, 'gridops apply after-crash.yaml', (m) => warnings.push(m)));
    expect(warnings).toEqual([`taking over the empty lock file ${file}: a run that crashed as it took the lock left it`]);
    expect(JSON.parse(readFileSync(file, 'utf8')).command).toBe('gridops apply after-crash.yaml');
    expect(existsSync(`${file}.takeover`)).toBe(false);
    await lock.release();
    expect(existsSync(file)).toBe(false);
  });

  it('an empty lock file just created is another run about to write its holder: refused, not taken over', async () => {
    const file = join(dir, 'g.lock');
    writeFileSync(file, '');
    await expect(within(1000, StateLock.acquire(file, 'x'))).rejects.toThrow(`the state is locked by an unreadable lock file ${file}`);
    expect(readFileSync(file, 'utf8')).toBe('');
  });
});
