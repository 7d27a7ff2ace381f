import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PersistentState } from '../core/types.js';
import { stateFileProblem } from './state-file-problem.js';

/** What the agent keeps on disk: the protocol state that prevents double votes, and the boot epoch. */
export interface StateFileContent {
  epoch: number;
  state: PersistentState | null;
}

/** The state file is there but cannot be read or is not the agent's: starting fresh could vote twice in a term. */
export class StateFileError extends Error {
  override readonly name = 'StateFileError';
}

/**
 * Reads the state file; a missing one means a fresh node. One that is there but unreadable or
 * damaged stops the start (as etcd refuses a damaged WAL): taken as fresh, the node would forget
 * its term and vote, and could grant a second vote in a term it already voted in. The operator
 * decides: restore it, or move it away to have the node rejoin as a fresh one.
 */
export function readStateFile(path: string): StateFileContent {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { epoch: 0, state: null };
    throw new StateFileError(`cannot read the state file ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw damaged(path, (error as Error).message);
  }
  // Field by field, not the top level only: a missing tier was taken for a fresh node (its term and
  // vote forgotten), and a view that is not one ended the start with a TypeError.
  const problem = stateFileProblem(parsed);
  if (problem !== undefined) throw damaged(path, problem);
  const { epoch, state } = parsed as Partial<StateFileContent> & { epoch: number };
  return { epoch, state: state ?? null };
}

function damaged(path: string, why: string): StateFileError {
  return new StateFileError(`the state file ${path} is damaged (${why}); restore it from a backup, or move it away (mv ${path} ${path}.damaged) so that the node rejoins as a fresh one`);
}

/**
 * Writes atomically (temp file, fsync, rename, fsync of the directory): a vote must be on disk
 * before the message that grants it leaves, or a crash could let this node vote twice in one term.
 * Without the directory's fsync, a power loss after the rename can bring the older file back.
 */
export function writeStateFile(path: string, content: StateFileContent): void {
  writePrivateFile(path, JSON.stringify(content));
}

/** Writes `text` to `path` with mode 0600, atomically and durably (writeStateFile says why each step). */
export function writePrivateFile(path: string, text: string): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const temp = `${path}.tmp`;
  try {
    const fd = openSync(temp, 'w', 0o600);
    try {
      writeAll(fd, temp, Buffer.from(text, 'utf8'));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    // A write cut short (ENOSPC part-way, a rename refused) must not leave its temp file behind:
    // on a full disk it holds the space the next attempt needs.
    try {
      rmSync(temp, { force: true });
    } catch {
      // Not removable either (a directory there): the first error is the one to report.
    }
    throw error;
  }
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/**
 * Writes every byte, and checks that the file holds them before it may be renamed into place. One
 * writeSync writes what it can and says how much: its count ignored, a write stopped part-way (a
 * file size limit, a quota) was fsynced and renamed over the good file, and the next start found
 * the state file damaged and refused to run.
 */
function writeAll(fd: number, temp: string, bytes: Buffer): void {
  for (let offset = 0; offset < bytes.length; ) {
    const written = writeSync(fd, bytes, offset, bytes.length - offset);
    if (written <= 0) break;
    offset += written;
  }
  const size = fstatSync(fd).size;
  if (size !== bytes.length) throw new Error(`short write to ${temp}: ${size} of ${bytes.length} bytes written`);
}

/**
 * The next boot epoch: above the last one on disk, and above the local clock in seconds so
 * that a lost state file still yields a newer epoch. Peers compare it too (the replay window, a
 * departed name's incarnation), but a node re-added or renamed with no state file starts from
 * its host's clock, which may be below the epoch an earlier node of that name reached (clock
 * skew, the same second): nothing may take a lower one for an older run of the same node.
 */
export function nextEpoch(previous: number, nowMs: number): number {
  return Math.max(previous + 1, Math.floor(nowMs / 1000)) >>> 0;
}
