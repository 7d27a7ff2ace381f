import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockHeldError } from '../../src/errors/index.js';
import { StateLock } from '../../src/state/lock.js';

/**
 * A `.takeover` marker left empty: the run taking over a stale lock crashed between creating the
 * marker and writing itself into it, so it names no taker to judge.
 */
describe('StateLock: an empty takeover marker', () => {
  let dir: string;
  let file: string;
  let marker: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-lock-marker-'));
    file = join(dir, 'g.lock');
    marker = `${file}.takeover`;
    // The stale lock the crashed run was taking over: its holder is gone.
    writeFileSync(file, `${JSON.stringify({ pid: spawnSync('true').pid, host: hostname(), pidns: readlinkSync('/proc/self/ns/pid'), startedAt: new Date().toISOString(), command: 'gridops apply old.yaml' })}\n`);
    writeFileSync(marker, '');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a few seconds old: abandoned, removed, and the stale lock taken over, with warnings naming both', async () => {
    const old = new Date(Date.now() - 10_000);
    utimesSync(marker, old, old);
    const warnings: string[] = [];
    const lock = await StateLock.acquire(file, 'gridops apply new.yaml', (m) => warnings.push(m));
    expect(warnings).toEqual([expect.stringContaining(`removing the empty takeover marker ${marker}`), expect.stringContaining('taking over a stale lock left by process')]);
    expect(JSON.parse(readFileSync(file, 'utf8')).command).toBe('gridops apply new.yaml');
    expect(existsSync(marker)).toBe(false);
    await lock.release();
  });

  it('just made: refused as a takeover under way, naming the marker, not the dead holder as a live one', async () => {
    // A short wait for the takeover: what is waited for is the same, only how long (by default 2 s).
    const started = performance.now();
    const refused = StateLock.acquire(file, 'gridops apply new.yaml', undefined, 100);
    await expect(refused).rejects.toBeInstanceOf(LockHeldError);
    // It waited for the takeover, as long as it was told to and no longer.
    expect(performance.now() - started).toBeGreaterThanOrEqual(100);
    expect(performance.now() - started).toBeLessThan(1500);
    await expect(refused).rejects.toThrow(`another run is taking over the stale lock ${file} (its marker ${marker})`);
    await expect(refused.catch((e: LockHeldError) => e.hint)).resolves.toBe(`run again in a few seconds; if no gridops run is using this state, remove ${marker}`);
    expect(existsSync(marker)).toBe(true);
  });
});
