import { existsSync, readFileSync, statSync } from 'node:fs';
import { abandonedEmpty, createExclusive, heldByGoneProcess, markHeld, markReleased, parseHolder, readText, removeAbandonedMarker, removeStaleLock, sameProcessSpace, stillHolds, thisProcessAsHolder, type LockHolder } from '../fs/lock-holder.js';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { LabError } from '../errors/index.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { shellWord } from './lab-command.js';
import { labDirProblem, labRecordProblem } from './lab-record.js';
import { labFiles, runRoot } from './paths.js';
import { withRecordedReadiness } from './nodes-to-boot.js';
import { LAB_NET, SLOT_COUNT, labPrefix } from './plan.js';
import { describeNetwork, type MachineNetwork, slotConflicts } from './slot-conflicts.js';
import { listLinks, machineNetworks } from './sys.js';
import type { LabState } from './types.js';

/** Reads lab.json, or null when there is no lab in `dir`. */
export function readState(dir: string): LabState | null {
  const file = labFiles(dir).state;
  if (!existsSync(file)) return null;
  const untrusted = labDirProblem(dir);
  if (untrusted) throw new LabError(`${untrusted}: its lab.json cannot be trusted`, `use a lab directory only root can write (chown root ${shellWord(dir)}; chmod go-w ${shellWord(dir)}), or another --dir`);
  let s: LabState;
  try {
    s = JSON.parse(readFileSync(file, 'utf8')) as LabState;
    if (s.version !== 1) throw new Error(`unknown version ${String(s.version)}`);
  } catch (err) {
    throw new LabError(`${file} is unreadable: ${(err as Error).message}`, 'remove the lab by hand (see docs/lab.md), or delete the file if nothing is running', { cause: err });
  }
  const wrong = labRecordProblem(s, dir);
  if (wrong) throw new LabError(`${file} does not describe a lab in ${dir}: ${wrong}`, 'it was copied from another lab directory or edited: remove the lab by hand (see docs/lab.md), or delete the file if nothing is running');
  return withRecordedReadiness(s);
}

export async function writeState(state: LabState): Promise<void> {
  await writeFileAtomic(state.files.state, JSON.stringify(state, null, 2) + '\n');
}

const slotsDir = () => join(runRoot(), 'slots');
const slotFile = (slot: number) => join(slotsDir(), String(slot));

/** The slot claim of `dir`, if it holds one. */
export function claimedSlot(dir: string): number | null {
  for (let slot = 0; slot < SLOT_COUNT; slot++) {
    try {
      if (readFileSync(slotFile(slot), 'utf8').trim() === dir) return slot;
    } catch {
      /* free */
    }
  }
  return null;
}

/**
 * Claims a free /20 slot for the lab in `dir` (O_EXCL files under /run, so concurrent `up`s in
 * different directories never share a bridge or addresses). A claim whose lab.json is gone
 * for more than a minute, and whose bridge does not exist, is stale and reused. A slot whose /20
 * holds a route or address of this machine (slot-conflicts.ts) is never claimed.
 */
export async function claimSlot(dir: string, preferred?: number): Promise<number> {
  await mkdir(slotsDir(), { recursive: true });
  const mine = claimedSlot(dir);
  if (mine !== null) return mine;
  const order = [...Array(SLOT_COUNT).keys()];
  if (preferred !== undefined) order.unshift(preferred);
  const links = new Set(listLinks());
  const networks = await machineNetworks();
  // Slots left out because the machine routes or holds addresses in them, for the refusal.
  const overlapping = new Map<number, MachineNetwork[]>();
  for (const slot of order) {
    if (links.has(`${labPrefix(slot)}br`)) continue;
    const conflicts = slotConflicts(slot, networks);
    if (conflicts.length) {
      overlapping.set(slot, conflicts);
      continue;
    }
    try {
      const fh = await open(slotFile(slot), 'wx');
      await fh.writeFile(dir + '\n');
      await fh.close();
      return slot;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (await staleClaim(slot)) {
        await rm(slotFile(slot), { force: true });
        try {
          const fh = await open(slotFile(slot), 'wx');
          await fh.writeFile(dir + '\n');
          await fh.close();
          return slot;
        } catch {
          /* someone else won it */
        }
      }
    }
  }
  if (overlapping.size) {
    const conflicts = [...new Set([...overlapping.values()].flat().map(describeNetwork))];
    throw new LabError(
      `no free lab slot: ${overlapping.size === SLOT_COUNT ? `all ${SLOT_COUNT} slots` : `${overlapping.size} of the ${SLOT_COUNT} slots`} in ${LAB_NET}.0.0/16 hold this machine's routes or addresses (${conflicts.join(', ')})${overlapping.size === SLOT_COUNT ? '' : '; the others are in use'}`,
      `a lab there would take their traffic or be unreachable: bring down the network routed there (a VPN?) while the lab runs, or run \`gridops lab down --dir DIR\` for labs you no longer need (claims are in ${slotsDir()})`,
    );
  }
  throw new LabError(`all ${SLOT_COUNT} lab slots are in use`, `run \`gridops lab down --dir DIR\` for labs you no longer need (claims are in ${slotsDir()})`);
}

async function staleClaim(slot: number): Promise<boolean> {
  try {
    const owner = (await readFile(slotFile(slot), 'utf8')).trim();
    const age = Date.now() - statSync(slotFile(slot)).mtimeMs;
    if (existsSync(labFiles(owner).state)) {
      const s = JSON.parse(readFileSync(labFiles(owner).state, 'utf8')) as LabState;
      if (s.plan?.slot === slot) return false;
    }
    return age > 60_000;
  } catch {
    return false;
  }
}

/**
 * Whether `up` in `dir` may carry on with the lab `recorded` in its lab.json, holding `slot`: only
 * when that record is this directory's (a lab directory copied with its lab.json describes the
 * original's processes and files) and its slot is still the one this directory holds. After a
 * reboot, /run (and every claim) is empty while lab.json survives; another lab may have claimed
 * the slot since, so `up` plans afresh on the slot it got (every node died with the reboot anyway).
 */
export function keepsRecordedSlot(recorded: Pick<LabState, 'dir' | 'plan'>, dir: string, slot: number): boolean {
  return recorded.dir === dir && recorded.plan.slot === slot;
}

/** The directory a slot's claim names, or null when nobody claims it. */
export function slotClaimant(slot: number): string | null {
  try {
    return readFileSync(slotFile(slot), 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/**
 * Makes sure `dir` holds `slot` before `down` sweeps the machine for its prefix: a free slot is
 * claimed (O_EXCL, so an `up` elsewhere cannot take it meanwhile). Returns the other directory that
 * holds it, or null when `dir` does.
 */
export async function holdSlotForDown(dir: string, slot: number): Promise<string | null> {
  await mkdir(slotsDir(), { recursive: true });
  try {
    const fh = await open(slotFile(slot), 'wx');
    await fh.writeFile(dir + '\n');
    await fh.close();
    return null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const claimant = slotClaimant(slot);
  return claimant === dir ? null : claimant;
}

export async function releaseSlot(dir: string, slot: number): Promise<void> {
  try {
    if (readFileSync(slotFile(slot), 'utf8').trim() === dir) await rm(slotFile(slot), { force: true });
  } catch {
    /* not ours or gone */
  }
}

/**
 * One `up` or `down` at a time per lab directory: a lock file naming its holder, taken with
 * O_EXCL. Its holder is judged as the state lock's (fs/lock-holder.ts): by pid and process start,
 * so a pid that came round again (after a reboot, a crash) is no holder, and a stale lock is
 * taken over under the `.takeover` marker, so two waiters never both take it. `warn` hears of a
 * takeover marker removed as abandoned (fs/lock-holder.ts removeAbandonedMarker).
 */
export async function withLabLock<T>(dir: string, fn: () => Promise<T>, warn: (message: string) => void = () => undefined): Promise<T> {
  // 0755 whatever the umask: a group-writable directory (umask 002) is one the check below refuses.
  await mkdir(dir, { recursive: true, mode: 0o755 });
  // The lab writes its client key and records here, and acts as root on what it finds.
  const untrusted = labDirProblem(dir);
  if (untrusted) throw new LabError(`${untrusted}: not a directory for a lab`, `use a lab directory only root can write (chown root ${shellWord(dir)}; chmod go-w ${shellWord(dir)}), or another --dir`);
  const lock = join(dir, 'lab.lock');
  const me = thisProcessAsHolder();
  const content = `${JSON.stringify(me)}\n`;
  for (let attempt = 0; ; attempt++) {
    if (await createExclusive(lock, content)) break;
    const seen = await readText(lock);
    if (seen === undefined) continue; // released meanwhile
    const holder = labLockHolder(seen, me);
    if (holder ? sameProcessSpace(holder, me) && !stillHolds(holder, lock, seen) : seen !== '' || (await abandonedEmpty(lock, seen))) {
      const takeover = await removeStaleLock(lock, seen, me);
      if ('markerContent' in takeover) {
        // Another waiter is taking it over; one that died doing it left its marker, stale by the same rule.
        const marker = `${lock}.takeover`;
        // An empty one names no taker to judge: abandoned once a few seconds old, as the state lock's.
        if (heldByGoneProcess(marker, takeover.markerContent, me)) {
          if ((await readText(marker).catch(() => undefined)) === takeover.markerContent) await rm(marker, { force: true });
        } else if (!(await removeAbandonedMarker(marker, takeover.markerContent, warn))) await new Promise((r) => setTimeout(r, 5));
      }
      continue;
    }
    if (attempt > 0) {
      throw new LabError(
        `another gridops lab command${holder ? ` (pid ${holder.pid})` : ''} is working on ${dir}`,
        `wait for it to finish, or use another --dir; if no gridops lab command runs${holder ? ` (process ${holder.pid} is something else)` : ''}, remove ${shellWord(lock)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  markHeld(lock, content);
  try {
    return await fn();
  } finally {
    markReleased(lock, content);
    // Only our own lock: one taken over meanwhile is its new holder's.
    if ((await readText(lock).catch(() => undefined)) === content) await rm(lock, { force: true });
  }
}

/** The holder a lab lock names: a lock holder, or the bare pid an older gridops wrote (judged by that pid alone). Undefined for an empty or unreadable one. */
function labLockHolder(text: string, me: LockHolder): LockHolder | undefined {
  const bare = /^\s*(\d+)\s*$/.exec(text);
  return bare ? { pid: Number(bare[1]), host: me.host } : parseHolder(text);
}
