import { readFileSync, readlinkSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { open, readFile, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LockHeldError } from '../errors/index.js';
import { isProcessAlive } from '../process-alive.js';
import { processIdentity, processStartedAt } from './process-start.js';
import { ensureStateDir } from './state.js';

interface LockHolder {
  pid: number;
  host: string;
  command: string;
  startedAt: string;
  /**
   * The PID namespace the holder ran in (`pid:[INODE]`): a run in a container that shares the
   * host name has pids this process cannot see, so it would look dead. Absent in older locks.
   */
  pidns?: string;
  /**
   * The holder process for good (process-start.ts: boot id and start): its pid alive as another
   * process after a crash or a reboot is not the holder. Absent in older locks, and where /proc
   * does not say: `startedAt` then tells, less exactly.
   */
  process?: string;
}

/**
 * The lock and takeover files this process holds now, each with the content it wrote. A lock
 * naming this process's pid is held only if it is one of them (another run in this process):
 * otherwise an earlier process had the same pid and is gone.
 */
const heldHere = new Set<string>();
const heldKey = (file: string, content: string) => `${file}\0${content}`;

/**
 * How much later than the lock's `startedAt` a process may seem to have started and still be its
 * holder, for a lock without `process`: /proc's boot time has whole seconds, and the clock may
 * have been slewed since. Past it, the pid came round again.
 */
const START_SLACK_MS = 5000;

/** This process's PID namespace, where /proc tells it. */
function pidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
}

/** How long a contender waits for another process's takeover to finish before reporting the lock as held. */
const TAKEOVER_WAIT_MS = 2000;

/**
 * An exclusive lock on a grid's state: a file created with O_EXCL. A lock left by a process
 * that no longer runs on this machine is detected as stale and taken over, with a warning; so is
 * one whose pid runs again as another process (stillHolds): this one, or one started after it.
 *
 * Taking over is atomic: reading the dead holder and unlinking its file are two steps, and
 * between them another contender may already have replaced the stale lock with its own. So a
 * contender first creates `FILE.takeover` with O_EXCL (only one can), then re-reads the lock
 * and unlinks it only if it still holds exactly the stale content it judged dead.
 */
export class StateLock {
  private constructor(
    readonly file: string,
    /** What this lock wrote: released only while the file still holds it. */
    private readonly content: string,
  ) {}

  static async acquire(file: string, command: string, warn: (message: string) => void = () => undefined): Promise<StateLock> {
    // Apply's first write: the state directory it may create gets its .gitignore here.
    await ensureStateDir(dirname(file));
    const pidns = pidNamespace();
    const identity = processIdentity(process.pid);
    const me: LockHolder = { pid: process.pid, host: hostname(), command, startedAt: new Date().toISOString(), ...(pidns ? { pidns } : {}), ...(identity ? { process: identity } : {}) };
    const content = `${JSON.stringify(me)}\n`;
    const marker = `${file}.takeover`;
    const waitUntil = Date.now() + TAKEOVER_WAIT_MS;
    for (;;) {
      if (await createExclusive(file, content)) {
        heldHere.add(heldKey(file, content));
        return new StateLock(file, content);
      }
      const seen = await readText(file);
      if (seen === undefined) continue; // released between our create and our read: try again
      const holder = parseHolder(seen);
      if (!holder || !sameProcessSpace(holder, me) || stillHolds(holder, file, seen)) throw heldBy(holder, file, me);

      const markerContent = `${JSON.stringify(me)}\n`;
      if (await createExclusive(marker, markerContent)) {
        heldHere.add(heldKey(marker, markerContent));
        try {
          // Re-verify under the marker: the stale content must still be there, byte for byte.
          if ((await readText(file)) === seen) {
            warn(`taking over a stale lock left by process ${holder.pid} (${holder.command}, started ${holder.startedAt}), which is no longer running`);
            await unlink(file).catch(() => undefined);
          }
        } finally {
          await unlink(marker).catch(() => undefined);
          heldHere.delete(heldKey(marker, markerContent));
        }
        continue;
      }
      // Another contender holds the marker. If it died there, only a person can tell it is safe.
      const markerSeen = (await readText(marker)) ?? '';
      const taker = parseHolder(markerSeen);
      if (taker && sameProcessSpace(taker, me) && !stillHolds(taker, marker, markerSeen)) {
        throw new LockHeldError(`a takeover of the stale lock ${file} by process ${taker.pid} was interrupted`, `no gridops run is using this state: remove ${marker} and ${file}, then run again`);
      }
      if (Date.now() > waitUntil) throw heldBy(holder, file, me);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /**
   * Lets go of the lock, if it is still this run's: a lock that another run took over (judged
   * stale by mistake, or removed by hand and taken since) is that run's, and stays.
   */
  async release(): Promise<void> {
    heldHere.delete(heldKey(this.file, this.content));
    if ((await readText(this.file)) !== this.content) return;
    await unlink(this.file).catch(() => undefined);
  }

  /** release() at process exit, where nothing can be awaited (a second Ctrl-C). */
  releaseSync(): void {
    heldHere.delete(heldKey(this.file, this.content));
    try {
      if (readFileSync(this.file, 'utf8') === this.content) unlinkSync(this.file);
    } catch {
      // Already gone: nothing to release.
    }
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

/**
 * Whether the process that wrote `content` into `file` still runs, its pid checked from here
 * (sameProcessSpace): this process only while it holds that file; another if its pid is alive and
 * is still that process, not one that got the pid since (a crash in a container, a reboot).
 */
function stillHolds(holder: LockHolder, file: string, content: string): boolean {
  if (holder.pid === process.pid) return heldHere.has(heldKey(file, content));
  if (!isProcessAlive(holder.pid)) return false;
  if (holder.process !== undefined) {
    const now = processIdentity(holder.pid);
    return now === undefined || now === holder.process;
  }
  const started = processStartedAt(holder.pid);
  const lockedAt = Date.parse(holder.startedAt);
  return started === undefined || Number.isNaN(lockedAt) || started <= lockedAt + START_SLACK_MS;
}

/** Whether `holder`'s pid can be checked from here: the same host name, and the same PID namespace where both recorded one. */
function sameProcessSpace(holder: LockHolder, me: LockHolder): boolean {
  return holder.host === me.host && (holder.pidns === undefined || me.pidns === undefined || holder.pidns === me.pidns);
}

function heldBy(holder: LockHolder | undefined, file: string, me: LockHolder): LockHeldError {
  const where = holder ? (holder.host !== me.host ? ` on ${holder.host}` : !sameProcessSpace(holder, me) ? ` on ${holder.host}, in another PID namespace (a container)` : ` on ${holder.host}`) : '';
  return new LockHeldError(
    `the state is locked by ${holder ? `process ${holder.pid}${where} (${holder.command}, started ${holder.startedAt})` : `an unreadable lock file ${file}`}`,
    holder && sameProcessSpace(holder, me)
      ? `wait for that run to finish; if process ${holder.pid} is not a gridops run (its pid came round again after a crash or a reboot), remove ${file}`
      : `if that run is certainly gone, remove ${file}`,
  );
}

