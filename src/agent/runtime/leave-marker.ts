import { lstatSync, readFileSync, type Stats, unlinkSync } from 'node:fs';
import { AgentConfigError } from './config.js';
import { writePrivateFile } from './state-file.js';

/**
 * The marker that a node left the grid for good, beside its state file: an agent started with it
 * stays idle, so a restart (or reboot) does not bring a decommissioned node back.
 */
export function leaveMarkerPath(stateFile: string): string {
  return `${stateFile}.left`;
}

/** What an idle agent, and `gridagent rejoin`, tell the operator: the way back for a node that left by mistake. */
export const REJOIN_HINT = 'to bring this node back into the grid, run gridagent rejoin (it removes the marker), then restart the agent';

/** What a failed write did to the marker: nothing is on disk (the leave did not happen), or the marker is there and stays (it did). */
export type MarkerWriteOutcome = { recorded: true; warning: string } | { recorded: false; error: Error };

/**
 * Writes the marker, and where the write fails, makes its outcome one of two clear ones. The write
 * can fail after its rename (the directory's fsync, EIO): the marker is then on disk, and reporting
 * "did not leave" would have the next restart silently take the node out. So a marker found after a
 * failure is removed; where even that fails, the node will stay out after a restart whatever is
 * said, and the leave is taken as recorded and goes on.
 */
export function writeLeaveMarker(
  marker: string,
  text: string,
  fs: { write: (path: string, text: string) => void; unlink: (path: string) => void } = { write: writePrivateFile, unlink: unlinkSync },
): MarkerWriteOutcome | null {
  try {
    fs.write(marker, text);
    return null;
  } catch (error) {
    if (!isFile(marker)) return { recorded: false, error: error as Error };
    try {
      fs.unlink(marker);
      return { recorded: false, error: error as Error };
    } catch (unlinkError) {
      return {
        recorded: true,
        warning: `the leave marker ${marker} was written but its write reported ${(error as Error).message}, and it could not be removed (${(unlinkError as Error).message}): leaving, since a restart would keep the node out anyway`,
      };
    }
  }
}

/** What the marker records: when the node left, and who took over as its super peer (null: no one, or not known). */
export interface LeftRecord {
  at: string;
  successor: string | null;
}

/**
 * The marker's record, or null where there is none (the node has not left). Any file there means
 * the node left, whatever it holds: one left empty or cut short (a crash as it was written, a hand
 * edit) once crashed the start with a stack, and signing the node in would bring back a node that
 * was decommissioned. What it does not say is filled in: the time from the file's own, no successor.
 * A directory there is no marker and no state the agent made: the start stops (exit 78) to be fixed.
 */
export function readLeaveMarker(marker: string): LeftRecord | null {
  let stats: Stats;
  try {
    stats = lstatSync(marker);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  if (!stats.isFile()) {
    throw new AgentConfigError(`the leave marker ${marker} is not a file: remove it (rmdir) for the node to take part in the grid, or, if it left the grid for good, put an empty file there (touch)`);
  }
  const recorded = parsedRecord(marker);
  return {
    at: typeof recorded.at === 'string' ? recorded.at : stats.mtime.toISOString(),
    successor: typeof recorded.successor === 'string' ? recorded.successor : null,
  };
}

function parsedRecord(marker: string): Partial<Record<keyof LeftRecord, unknown>> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(marker, 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}

/** Whether the marker is on disk: a leave after `gridagent rejoin` removed it (the agent not restarted) must write it again. */
export function hasLeaveMarker(marker: string): boolean {
  return isFile(marker);
}

/**
 * `gridagent rejoin`: removes the marker, so that the agent's next start signs the node in again
 * (an interrupted or mistaken leave). Says whether there was one; a marker that cannot be removed throws.
 */
export function removeLeaveMarker(marker: string): boolean {
  try {
    unlinkSync(marker);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

function isFile(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}
