import { readFileSync, unlinkSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LockHeldError } from '../errors/index.js';
import { abandonedEmpty, createExclusive, markHeld, markReleased, parseHolder, readText, removeAbandonedMarker, removeStaleLock, sameMachine, sameProcessSpace, stillHolds, thisProcessAsHolder, type LockHolder } from '../fs/lock-holder.js';
import { printableText } from '../text/printable-text.js';
import { ensureStateDir } from './state.js';

/** The state lock's holder names the command it runs, for the message of a run it stops. */
interface StateLockHolder extends LockHolder {
  command: string;
}

/** How long a contender waits for another process's takeover to finish (or a lock released as it looked to settle) before reporting the lock as held. */
const TAKEOVER_WAIT_MS = 2000;

/**
 * An exclusive lock on a grid's state: a file created with O_EXCL. A lock left by a process
 * that no longer runs on this machine is detected as stale and taken over, with a warning; so is
 * one whose pid runs again as another process (stillHolds): this one, or one started after it,
 * and an empty one a few seconds old (abandonedEmpty: a crash between creating and writing it);
 * so is an empty `FILE.takeover` marker, left by a crash as a takeover began.
 * A lock file that is there but cannot be read is held, said at once with its path.
 *
 * Holder, staleness and the atomic takeover under `FILE.takeover` are the ones every gridops lock
 * file shares (fs/lock-holder.ts). What is the state lock's own: a live holder stops the run at
 * once (runs hold it for minutes), and a takeover interrupted by a crash
 * once its taker wrote itself into the marker is left to a person.
 */
export class StateLock {
  private constructor(
    readonly file: string,
    /** What this lock wrote: released only while the file still holds it. */
    private readonly content: string,
  ) {}

  /** `takeoverWaitMs`: how long to wait for another process's takeover before refusing; tests shorten it. */
  static async acquire(file: string, command: string, warn: (message: string) => void = () => undefined, takeoverWaitMs = TAKEOVER_WAIT_MS): Promise<StateLock> {
    // Apply's first write: the state directory it may create gets its .gitignore here.
    await ensureStateDir(dirname(file));
    const me: StateLockHolder = { ...thisProcessAsHolder(), command };
    const content = `${JSON.stringify(me)}\n`;
    const marker = `${file}.takeover`;
    const waitUntil = Date.now() + takeoverWaitMs;
    for (;;) {
      if (await createExclusive(file, content)) {
        markHeld(file, content);
        return new StateLock(file, content);
      }
      const seen = await readLock(file, me);
      if (seen === undefined) {
        // Released between our create and our read: try again, for as long as a takeover is waited for.
        if (Date.now() > waitUntil) throw heldBy(undefined, file, me);
        await new Promise((resolve) => setTimeout(resolve, 5));
        continue;
      }
      const holder = parseHolder<StateLockHolder>(seen);
      const emptyLeft = await abandonedEmpty(file, seen);
      if (!emptyLeft && (!holder || !sameProcessSpace(holder, me) || stillHolds(holder, file, seen))) throw heldBy(holder, file, me);

      const takeover = await removeStaleLock(file, seen, me);
      if ('removed' in takeover) {
        if (takeover.removed) warn(holder ? staleTakenOver(holder) : `taking over the empty lock file ${file}: a run that crashed as it took the lock left it`);
        continue;
      }
      // Another contender holds the marker. If it died there, only a person can tell it is safe.
      const taker = parseHolder(takeover.markerContent);
      if (taker && sameProcessSpace(taker, me) && !stillHolds(taker, marker, takeover.markerContent)) {
        throw new LockHeldError(`a takeover of the stale lock ${file} by process ${taker.pid} was interrupted`, `no gridops run is using this state: remove ${marker} and ${file}, then run again`);
      }
      if (await removeAbandonedMarker(marker, takeover.markerContent, warn)) continue;
      if (Date.now() > waitUntil) throw takeoverUnderWay(file, marker);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /**
   * Lets go of the lock, if it is still this run's: a lock that another run took over (judged
   * stale by mistake, or removed by hand and taken since) is that run's, and stays.
   */
  async release(): Promise<void> {
    markReleased(this.file, this.content);
    // One that cannot be read is not this run's (it wrote its own readable): left as it is.
    if ((await readText(this.file).catch(() => undefined)) !== this.content) return;
    await unlink(this.file).catch(() => undefined);
  }

  /** release() at process exit, where nothing can be awaited (a second Ctrl-C). */
  releaseSync(): void {
    markReleased(this.file, this.content);
    try {
      if (readFileSync(this.file, 'utf8') === this.content) unlinkSync(this.file);
    } catch {
      // Already gone: nothing to release.
    }
  }
}

/**
 * The lock file's text, or undefined if it is gone. One that is there but cannot be read names no
 * holder to judge: a held lock, for a person to look at (its path, and why it cannot be read).
 */
async function readLock(file: string, me: LockHolder): Promise<string | undefined> {
  try {
    return await readText(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ENOENT from a file that is there: a symlink to nothing (readText).
    throw heldBy(undefined, file, me, code === 'ENOENT' ? 'a symlink to nothing' : code === 'EACCES' ? "EACCES: another user's, as a killed `sudo gridops` run leaves it" : (code ?? (err as Error).message));
  }
}

/**
 * The refusal when another run's takeover of the stale lock (its marker there) did not end within
 * the wait: the lock's holder is gone, so it is the marker that stands in the way.
 */
function takeoverUnderWay(file: string, marker: string): LockHeldError {
  return new LockHeldError(`another run is taking over the stale lock ${file} (its marker ${marker})`, `run again in a few seconds; if no gridops run is using this state, remove ${marker}`);
}

/** A lock file's holder as a message names it: `process PID`, then `where`, then its command and start, escaped since the file may say anything (printableText). */
function holderWords(holder: StateLockHolder, where = ''): string {
  return `process ${holder.pid}${where} (${printableText(String(holder.command))}, started ${printableText(String(holder.startedAt))})`;
}

function staleTakenOver(holder: StateLockHolder): string {
  return `taking over a stale lock left by ${holderWords(holder)}, which is no longer running`;
}

/** The refusal of a held lock: its holder, or a lock file that names none (`why` it cannot be read, where known). */
function heldBy(holder: StateLockHolder | undefined, file: string, me: LockHolder, why?: string): LockHeldError {
  const host = holder && printableText(String(holder.host));
  const where = !holder
    ? ''
    : holder.host !== me.host
      ? ` on ${host}`
      : !sameMachine(holder, me)
        ? ` on ${host}, another machine with the same host name`
        : !sameProcessSpace(holder, me)
          ? ` on ${host}, in another PID namespace (a container)`
          : ` on ${host}`;
  return new LockHeldError(
    `the state is locked by ${holder ? holderWords(holder, where) : `an unreadable lock file ${file}${why ? ` (${why})` : ''}`}`,
    !holder
      ? `if no gridops run is using this state, remove ${file}`
      : sameProcessSpace(holder, me)
        ? `wait for that run to finish; if process ${holder.pid} is not a gridops run (its pid came round again after a crash or a reboot), remove ${file}`
        : `if that run is certainly gone, remove ${file}`,
  );
}

