import { mkdir, realpath, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { abandonedEmpty, createExclusive, heldByGoneProcess, markHeld, markReleased, parseHolder, readText, removeStaleLock, thisProcessAsHolder } from './lock-holder.js';
import { printableText } from '../text/printable-text.js';

/** How long a contender waits for a live holder before giving up with an error naming the lock. */
const WAIT_MS = 10_000;
/** Past this age a lock (or an interrupted takeover) is stale whoever left it: holders keep it for milliseconds. */
const STALE_MS = 30_000;
const RETRY_MS = 5;

/**
 * Runs `work` while holding an exclusive lock on `file`, shared with every process that locks the
 * same file this way: `FILE.lock` beside it (beside a symlink's target, so runs that reach one
 * file through different links agree), created with O_EXCL. It guards a read-check-append that
 * must not interleave with another process's (known_hosts: two runs must not both find a host
 * unknown and record two different keys), so it is held for milliseconds. A lock whose holder is
 * gone by the state lock's rules (lock-holder.ts: not running, or its pid now another process,
 * this one included, as after a crash in a container), empty and a few seconds old (a crash
 * between creating and writing it) or older than STALE_MS is taken over, under the same
 * `.takeover` marker, so two contenders never both remove it and one of them a live lock. One
 * that is there but cannot be read (another user's, a directory) is an error at once.
 */
export async function withFileLock<T>(file: string, work: () => Promise<T>): Promise<T> {
  const lock = `${await realpath(file).catch(() => file)}.lock`;
  const me = thisProcessAsHolder();
  const content = `${JSON.stringify(me)}\n`;
  const giveUpAt = Date.now() + WAIT_MS;
  for (;;) {
    if (await createBesideFile(lock, content)) break;
    const seen = await readLock(lock);
    if (seen === undefined) {
      // Released between our create and our read: try again, within the same wait.
      if (Date.now() > giveUpAt) throw new Error(`${lock} is held by another process; if no gridops run is using this file, remove the lock file`);
      await delay(RETRY_MS);
      continue;
    }
    if (heldByGoneProcess(lock, seen, me) || (await abandonedEmpty(lock, seen)) || (await olderThan(lock, STALE_MS))) {
      const takeover = await removeStaleLock(lock, seen, me);
      // Another contender is taking over; one that died doing it left its marker, stale by the same rules.
      if ('markerContent' in takeover) {
        const marker = `${lock}.takeover`;
        if (heldByGoneProcess(marker, takeover.markerContent, me) || (await olderThan(marker, STALE_MS))) {
          if ((await readText(marker)) === takeover.markerContent) await unlink(marker).catch(() => undefined);
        } else await delay(RETRY_MS);
      }
      continue;
    }
    if (Date.now() > giveUpAt) throw new Error(`${lock} is held by ${describeHolder(seen)}; if no gridops run is using this file, remove the lock file`);
    await delay(RETRY_MS);
  }
  markHeld(lock, content);
  try {
    return await work();
  } finally {
    markReleased(lock, content);
    // Only our own lock: one judged stale and taken over meanwhile is its new holder's.
    if ((await readText(lock).catch(() => undefined)) === content) await unlink(lock).catch(() => undefined);
  }
}

/** createExclusive, making the directory first if needed: a file that does not exist yet may lack it too (a first ~/.ssh/known_hosts). */
async function createBesideFile(lock: string, content: string): Promise<boolean> {
  try {
    return await createExclusive(lock, content);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    await mkdir(dirname(lock), { recursive: true, mode: 0o700 });
    return createExclusive(lock, content);
  }
}

/** The lock file's text, or undefined if it is gone; one that is there but cannot be read is an error naming it, for a person to look at. */
async function readLock(lock: string): Promise<string | undefined> {
  try {
    return await readText(lock);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`${lock} cannot be read (${code === 'ENOENT' ? 'a symlink to nothing' : (code ?? (err as Error).message)}); if no gridops run is using this file, remove the lock file`);
  }
}

function describeHolder(text: string): string {
  const h = parseHolder(text);
  // Escaped: a lock file may say anything, and this goes to a terminal.
  return h ? `process ${h.pid} on ${printableText(String(h.host))}` : 'another process';
}

async function olderThan(file: string, ms: number): Promise<boolean> {
  const st = await stat(file).catch(() => undefined);
  return st !== undefined && Date.now() - st.mtimeMs > ms;
}
