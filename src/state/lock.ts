import { hostname } from 'node:os';
import { open, readFile, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LockHeldError } from '../errors/index.js';
import { isProcessAlive } from '../process-alive.js';
import { ensureStateDir } from './state.js';

interface LockHolder {
  pid: number;
  host: string;
  command: string;
  startedAt: string;
}

/** How long a contender waits for another process's takeover to finish before reporting the lock as held. */
const TAKEOVER_WAIT_MS = 2000;

/**
 * An exclusive lock on a grid's state: a file created with O_EXCL. A lock left by a process
 * that no longer runs on this machine is detected as stale and taken over, with a warning.
 *
 * Taking over is atomic: reading the dead holder and unlinking its file are two steps, and
 * between them another contender may already have replaced the stale lock with its own. So a
 * contender first creates `FILE.takeover` with O_EXCL (only one can), then re-reads the lock
 * and unlinks it only if it still holds exactly the stale content it judged dead.
 */
export class StateLock {
  private constructor(readonly file: string) {}

  static async acquire(file: string, command: string, warn: (message: string) => void = () => undefined): Promise<StateLock> {
    // Apply's first write: the state directory it may create gets its .gitignore here.
    await ensureStateDir(dirname(file));
    const me: LockHolder = { pid: process.pid, host: hostname(), command, startedAt: new Date().toISOString() };
    const marker = `${file}.takeover`;
    const waitUntil = Date.now() + TAKEOVER_WAIT_MS;
    for (;;) {
      if (await createExclusive(file, `${JSON.stringify(me)}\n`)) return new StateLock(file);
      const seen = await readText(file);
      if (seen === undefined) continue; // released between our create and our read: try again
      const holder = parseHolder(seen);
      if (!holder || holder.host !== me.host || isProcessAlive(holder.pid)) throw heldBy(holder, file, me.host);

      if (await createExclusive(marker, `${JSON.stringify(me)}\n`)) {
        try {
          // Re-verify under the marker: the stale content must still be there, byte for byte.
          if ((await readText(file)) === seen) {
            warn(`taking over a stale lock left by process ${holder.pid} (${holder.command}, started ${holder.startedAt}), which is no longer running`);
            await unlink(file).catch(() => undefined);
          }
        } finally {
          await unlink(marker).catch(() => undefined);
        }
        continue;
      }
      // Another contender holds the marker. If it died there, only a person can tell it is safe.
      const taker = parseHolder((await readText(marker)) ?? '');
      if (taker && taker.host === me.host && !isProcessAlive(taker.pid)) {
        throw new LockHeldError(`a takeover of the stale lock ${file} by process ${taker.pid} was interrupted`, `no gridops run is using this state: remove ${marker} and ${file}, then run again`);
      }
      if (Date.now() > waitUntil) throw heldBy(holder, file, me.host);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async release(): Promise<void> {
    await unlink(this.file).catch(() => undefined);
  }
}

/** Creates `file` with `content` only if it does not exist; false if it does. */
async function createExclusive(file: string, content: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
  return true;
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(text) as LockHolder;
    return typeof holder?.pid === 'number' ? holder : undefined;
  } catch {
    return undefined;
  }
}

function heldBy(holder: LockHolder | undefined, file: string, myHost: string): LockHeldError {
  return new LockHeldError(
    `the state is locked by ${holder ? `process ${holder.pid} on ${holder.host} (${holder.command}, started ${holder.startedAt})` : `an unreadable lock file ${file}`}`,
    holder?.host === myHost ? 'wait for that run to finish' : `if that run is certainly gone, remove ${file}`,
  );
}

