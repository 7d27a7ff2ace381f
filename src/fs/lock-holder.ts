import { createHash } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { lstat, open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { isProcessAlive } from '../process-alive.js';
import { processIdentity, processStartedAt } from './process-start.js';

/**
 * Who holds a lock file: what gridops' O_EXCL locks (the state lock, the known_hosts lock) write
 * into it, and how a contender judges whether that process still holds it. One rule for every
 * lock, so a lock left by a crash is stale for each of them alike.
 */
export interface LockHolder {
  pid: number;
  host: string;
  /** When the lock was taken (ISO), for a holder without `process`. Absent in older known_hosts locks. */
  startedAt?: string;
  /**
   * The PID namespace the holder ran in (`pid:[INODE]`): a run in a container that shares the
   * host name has pids this process cannot see, so it would look dead. Absent in older locks.
   */
  pidns?: string;
  /**
   * The holder's machine, as a sha256 of /etc/machine-id keyed for gridops (machine-id(5): the id
   * is confidential, and a lock may sit on a share other machines and users read): two machines
   * with the same host name (cloned VMs) sharing a state directory have the same PID namespace
   * inode too (every initial namespace has it), so only this tells them apart. Absent in older
   * locks, and where the machine has no id.
   */
  machine?: string;
  /**
   * The holder process for good (process-start.ts: boot id and start): its pid alive as another
   * process after a crash or a reboot is not the holder. Absent in older locks, and where /proc
   * does not say: `startedAt` then tells, less exactly.
   */
  process?: string;
}

/** This process as a lock's holder, now. */
export function thisProcessAsHolder(): LockHolder {
  const pidns = pidNamespace();
  const machine = machineId();
  const identity = processIdentity(process.pid);
  return { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), ...(pidns ? { pidns } : {}), ...(machine ? { machine } : {}), ...(identity ? { process: identity } : {}) };
}

/** The holder a lock file names, or undefined for one written half or by something else. */
export function parseHolder<T extends LockHolder = LockHolder>(text: string): T | undefined {
  try {
    const holder = JSON.parse(text) as T;
    return typeof holder?.pid === 'number' ? holder : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The lock and takeover files this process holds now, each with the content it wrote. A lock
 * naming this process's pid is held only if it is one of them (another lock in this process):
 * otherwise an earlier process had the same pid and is gone.
 */
const heldHere = new Set<string>();
const heldKey = (file: string, content: string) => `${file}\0${content}`;

/** Records that this process now holds `file` with `content` (it created it). */
export function markHeld(file: string, content: string): void {
  heldHere.add(heldKey(file, content));
}

/** Records that this process no longer holds `file` with `content`. */
export function markReleased(file: string, content: string): void {
  heldHere.delete(heldKey(file, content));
}

/**
 * How much later than the lock's `startedAt` a process may seem to have started and still be its
 * holder, for a lock without `process`: /proc's boot time has whole seconds, and the clock may
 * have been slewed since. Past it, the pid came round again.
 */
const START_SLACK_MS = 5000;

/**
 * Whether the process that wrote `content` into `file` still runs, its pid checked from here
 * (sameProcessSpace): this process only while it holds that file; another if its pid is alive and
 * is still that process, not one that got the pid since (a crash in a container, a reboot).
 */
export function stillHolds(holder: LockHolder, file: string, content: string): boolean {
  if (holder.pid === process.pid) return heldHere.has(heldKey(file, content));
  if (!isProcessAlive(holder.pid)) return false;
  if (holder.process !== undefined) {
    const now = processIdentity(holder.pid);
    return now === undefined || now === holder.process;
  }
  const started = processStartedAt(holder.pid);
  const lockedAt = holder.startedAt === undefined ? Number.NaN : Date.parse(holder.startedAt);
  return started === undefined || Number.isNaN(lockedAt) || started <= lockedAt + START_SLACK_MS;
}

/**
 * Whether `holder`'s pid can be checked from here: the same host name, and the same machine and PID
 * namespace where both recorded one. A holder elsewhere is never judged gone: its pid means nothing here.
 */
export function sameProcessSpace(holder: LockHolder, me: LockHolder): boolean {
  return holder.host === me.host && sameMachine(holder, me) && (holder.pidns === undefined || me.pidns === undefined || holder.pidns === me.pidns);
}

/** Whether `holder` ran on this machine, as far as the machine ids tell: true where either has none. */
export function sameMachine(holder: LockHolder, me: LockHolder): boolean {
  if (holder.machine === undefined || me.machine === undefined) return true;
  // A lock of the gridops before the id was hashed holds the id itself (32 hex digits, machine-id(5)).
  const theirs = /^[0-9a-f]{32}$/.test(holder.machine) ? machineDigest(holder.machine) : holder.machine;
  return theirs === me.machine;
}

/** A machine id as locks record it: keyed for gridops, so the confidential id is never written. */
function machineDigest(id: string): string {
  return createHash('sha256').update(`gridops-lock\0${id}`).digest('hex');
}

/** Whether the lock file's content names a holder that is certainly gone: checkable from here, and not running as that process. */
export function heldByGoneProcess(file: string, content: string, me: LockHolder): boolean {
  const holder = parseHolder(content);
  return holder !== undefined && sameProcessSpace(holder, me) && !stillHolds(holder, file, content);
}

/** This process's PID namespace, where /proc tells it. */
function pidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
}

/** This machine's id (systemd's, or D-Bus's where systemd is not there), hashed for gridops' locks, where it has one. */
function machineId(): string | undefined {
  for (const file of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
    try {
      const id = readFileSync(file, 'utf8').trim();
      // An empty /etc/machine-id is an image's, not yet given an id at first boot.
      if (id !== '') return machineDigest(id);
    } catch {
      // Not there: the next place, or no id.
    }
  }
  return undefined;
}

/** Creates `file` with `content` only if it does not exist (O_EXCL); false if it does. */
export async function createExclusive(file: string, content: string): Promise<boolean> {
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

/**
 * Removes the stale lock whose content was `seen`, atomically against other contenders: reading
 * the dead holder and unlinking its file are two steps, and between them another contender may
 * already have replaced the stale lock with its own. So it first creates `LOCK.takeover` with
 * O_EXCL (only one contender can), then re-reads the lock and unlinks it only if it still holds
 * exactly `seen`. Returns whether it removed it, or, when another contender holds the marker, that
 * marker's content (for the caller to judge: a taker that died there left it).
 */
export async function removeStaleLock(lock: string, seen: string, me: LockHolder): Promise<{ removed: boolean } | { markerContent: string }> {
  const marker = `${lock}.takeover`;
  const markerContent = `${JSON.stringify(me)}\n`;
  if (!(await createExclusive(marker, markerContent))) return { markerContent: (await readText(marker)) ?? '' };
  markHeld(marker, markerContent);
  try {
    if ((await readText(lock)) !== seen) return { removed: false };
    await unlink(lock).catch(() => undefined);
    return { removed: true };
  } finally {
    await unlink(marker).catch(() => undefined);
    markReleased(marker, markerContent);
  }
}

/**
 * A lock file's text, or undefined if it is gone (released meanwhile). Any other failure is
 * thrown: a lock that is there but cannot be read (another user's 0600 file, as a killed `sudo
 * gridops apply` leaves; a directory; a dangling symlink, which O_EXCL counts as there) is no
 * released lock, and a contender that took it for one tried again forever.
 */
export async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const link = await lstat(file).catch(() => undefined);
    if (link?.isSymbolicLink()) throw err;
    return undefined;
  }
}

/**
 * How old an empty lock file must be to be judged abandoned. A run writes its holder right after
 * creating the file, so a lock stays empty only for that instant, unless the run crashed between
 * the two (SIGKILL, power loss, a full disk): then it names no holder to judge, and stays empty
 * for good. A few seconds leave a live run ample time, and a clock a little off (a network file
 * system's) too.
 */
const EMPTY_LOCK_STALE_MS = 5000;

/** Whether `content`, just read from `file`, is an empty lock left by a run that crashed as it took it. */
export async function abandonedEmpty(file: string, content: string): Promise<boolean> {
  if (content !== '') return false;
  const st = await stat(file).catch(() => undefined);
  return st !== undefined && Date.now() - st.mtimeMs > EMPTY_LOCK_STALE_MS;
}

/**
 * Removes `marker`, a lock's `.takeover` marker just read as `content`, when it is empty and a few
 * seconds old (abandonedEmpty): its taker crashed between creating and writing it, so before it
 * re-read the lock, let alone removed it; it names no one to judge, and blocked every takeover for
 * good. Removed only while still empty, since a live taker writes itself into its own at once.
 * Returns whether it was abandoned (removed now, or gone meanwhile): the caller then tries again.
 */
export async function removeAbandonedMarker(marker: string, content: string, warn: (message: string) => void): Promise<boolean> {
  if (!(await abandonedEmpty(marker, content))) return false;
  if ((await readText(marker).catch(() => undefined)) === '') {
    warn(`removing the empty takeover marker ${marker}: a run that crashed as it began to take over the lock left it`);
    await unlink(marker).catch(() => undefined);
  }
  return true;
}
