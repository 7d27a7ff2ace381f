import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PersistentState } from '../core/types.js';

/** What the agent keeps on disk: the protocol state that prevents double votes, and the boot epoch. */
export interface StateFileContent {
  epoch: number;
  state: PersistentState | null;
}

/** Reads the state file; a missing or unreadable one means a fresh node. */
export function readStateFile(path: string): StateFileContent {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<StateFileContent>;
    return { epoch: typeof parsed.epoch === 'number' ? parsed.epoch : 0, state: parsed.state ?? null };
  } catch {
    return { epoch: 0, state: null };
  }
}

/**
 * Writes atomically (temp file, fsync, rename): a vote must be on disk before the message that
 * grants it leaves, or a crash could let this node vote twice in one term.
 */
export function writeStateFile(path: string, content: StateFileContent): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.tmp`;
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(content));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

/**
 * The next boot epoch: above the last one on disk, and above the local clock in seconds so
 * that a lost state file still yields a newer epoch. Only this node ever compares its epochs.
 */
export function nextEpoch(previous: number, nowMs: number): number {
  return Math.max(previous + 1, Math.floor(nowMs / 1000)) >>> 0;
}
