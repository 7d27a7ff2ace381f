import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { thisProcessAsHolder } from '../../src/fs/lock-holder.js';
import { withLabLock } from '../../src/lab/state.js';

/** The lab lock (DIR/lab.lock) judges its holder as the state lock does: by pid *and* process start, so a pid reused after a reboot does not block. */
describe('the lab lock', () => {
  let parent: string;
  beforeEach(() => {
    parent = mkdtempSync(join(tmpdir(), 'gridops-lab-lock-'));
  });
  afterEach(() => rmSync(parent, { recursive: true, force: true }));

  const asRoot = process.getuid?.() === 0 ? it : it.skip;

  asRoot('a lock naming a live pid that is another process now (another start: a reboot, a crash) is taken over', async () => {
    const dir = join(parent, 'lab');
    await withLabLock(dir, async () => undefined);
    // The test's parent runs, but the lock says it started at another time: it is not the holder.
    const reused = { ...thisProcessAsHolder(), pid: process.ppid, process: 'another-boot:1' };
    writeFileSync(join(dir, 'lab.lock'), `${JSON.stringify(reused)}\n`);
    await expect(withLabLock(dir, async () => readFileSync(join(dir, 'lab.lock'), 'utf8'))).resolves.toContain(`"pid":${process.pid}`);
    expect(existsSync(join(dir, 'lab.lock'))).toBe(false);
  });

  asRoot('a lock held by a live process (as it started) stops the command, naming the pid and the lock file', async () => {
    const dir = join(parent, 'lab');
    await withLabLock(dir, async () => undefined);
    const live = { ...thisProcessAsHolder(), pid: process.ppid, process: undefined, startedAt: new Date().toISOString() };
    writeFileSync(join(dir, 'lab.lock'), `${JSON.stringify(live)}\n`);
    const err = await withLabLock(dir, async () => 'ran').catch((e: unknown) => e as Error & { hint?: string });
    expect((err as Error).message).toBe(`another gridops lab command (pid ${process.ppid}) is working on ${dir}`);
    expect((err as Error & { hint?: string }).hint).toContain(join(dir, 'lab.lock'));
  });

  asRoot('a lock of an older gridops (the bare pid) whose process is gone is taken over', async () => {
    const dir = join(parent, 'lab');
    await withLabLock(dir, async () => undefined);
    writeFileSync(join(dir, 'lab.lock'), '999999999');
    await expect(withLabLock(dir, async () => 'ran')).resolves.toBe('ran');
  });

  asRoot('an empty takeover marker a few seconds old (a crash as a takeover began) is removed with a warning, and the stale lock taken over', async () => {
    const dir = join(parent, 'lab');
    await withLabLock(dir, async () => undefined);
    writeFileSync(join(dir, 'lab.lock'), '999999999');
    const marker = join(dir, 'lab.lock.takeover');
    writeFileSync(marker, '');
    const old = new Date(Date.now() - 10_000);
    utimesSync(marker, old, old);
    const warnings: string[] = [];
    // It looped for good on such a marker: bounded here, so that shows as a failure, not a hung run.
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise((resolve) => (timer = setTimeout(() => resolve('still waiting after 3 s'), 3000)));
    const ran = await Promise.race([withLabLock(dir, async () => 'ran', (m) => warnings.push(m)), stuck]).finally(() => clearTimeout(timer));
    expect(ran).toBe('ran');
    expect(warnings).toEqual([expect.stringContaining(`removing the empty takeover marker ${marker}`)]);
    expect(existsSync(marker)).toBe(false);
  });
});
