import { mkdir, open, readFile, realpath, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { isProcessAlive } from '../process-alive.js';

/** How long a contender waits for a live holder before giving up with an error naming the lock. */
const WAIT_MS = 10_000;
/** Past this age a lock (or an interrupted takeover) is stale whoever left it: holders keep it for milliseconds. */
const STALE_MS = 30_000;
const RETRY_MS = 5;

interface Holder {
  pid: number;
  host: string;
}

/**
 * Runs `work` while holding an exclusive lock on `file`, shared with every process that locks the
 * same file this way: `FILE.lock` beside it (beside a symlink's target, so runs that reach one
 * file through different links agree), created with O_EXCL. It guards a read-check-append that
 * must not interleave with another process's (known_hosts: two runs must not both find a host
 * unknown and record two different keys), so it is held for milliseconds. A lock left by a
 * process that is gone (same machine, pid not running) or older than STALE_MS is taken over;
 * under a `.takeover` marker, so two contenders never both remove it and one of them a live lock.
 */
export async function withFileLock<T>(file: string, work: () => Promise<T>): Promise<T> {
  const lock = `${await realpath(file).catch(() => file)}.lock`;
  const me: Holder = { pid: process.pid, host: hostname() };
  const content = `${JSON.stringify(me)}\n`;
  const giveUpAt = Date.now() + WAIT_MS;
  for (;;) {
    if (await createExclusive(lock, content)) break;
    const seen = await readFile(lock, 'utf8').catch(() => undefined);
    if (seen === undefined) continue; // released between our create and our read
    if (await isStale(lock, seen, me)) {
      await takeOver(lock, seen);
      continue;
    }
    if (Date.now() > giveUpAt) throw new Error(`${lock} is held by ${describeHolder(seen)}; if no gridops run is using this file, remove the lock file`);
    await delay(RETRY_MS);
  }
  try {
    return await work();
  } finally {
    // Only our own lock: one judged stale and taken over meanwhile is its new holder's.
    if ((await readFile(lock, 'utf8').catch(() => undefined)) === content) await unlink(lock).catch(() => undefined);
  }
}

async function createExclusive(file: string, content: string): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      try {
        await handle.writeFile(content);
      } finally {
        await handle.close();
      }
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      // A file that does not exist yet may lack its directory too (a first ~/.ssh/known_hosts).
      if (code !== 'ENOENT' || attempt > 0) throw e;
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    }
  }
}

function parseHolder(text: string): Holder | undefined {
  try {
    const h = JSON.parse(text) as Partial<Holder>;
    return typeof h.pid === 'number' && typeof h.host === 'string' ? { pid: h.pid, host: h.host } : undefined;
  } catch {
    return undefined;
  }
}

function describeHolder(text: string): string {
  const h = parseHolder(text);
  return h ? `process ${h.pid} on ${h.host}` : 'another process';
}

async function isStale(lock: string, seen: string, me: Holder): Promise<boolean> {
  const holder = parseHolder(seen);
  if (holder && holder.host === me.host && holder.pid !== me.pid && !isProcessAlive(holder.pid)) return true;
  // A lock whose holder cannot be asked (written half, or from another machine sharing the file) is stale by age alone.
  return olderThan(lock, STALE_MS);
}

async function olderThan(file: string, ms: number): Promise<boolean> {
  const st = await stat(file).catch(() => undefined);
  return st !== undefined && Date.now() - st.mtimeMs > ms;
}

/** Removes the stale lock `seen`, if it is still there byte for byte, under a marker only one contender can create. */
async function takeOver(lock: string, seen: string): Promise<void> {
  const marker = `${lock}.takeover`;
  if (!(await createExclusive(marker, `${process.pid}\n`))) {
    // Another contender is taking over; one that died doing it left its marker, stale by age.
    if (await olderThan(marker, STALE_MS)) await unlink(marker).catch(() => undefined);
    else await delay(RETRY_MS);
    return;
  }
  try {
    if ((await readFile(lock, 'utf8').catch(() => undefined)) === seen) await unlink(lock).catch(() => undefined);
  } finally {
    await unlink(marker).catch(() => undefined);
  }
}
