import { setTimeout as delay } from 'node:timers/promises';

/**
 * How long after it began a start that fails exits at the earliest. The unit has no start limit
 * (gridagent.service.hbs), so that a brief problem (a full /var, the HTTP port still held) does not
 * leave the node out of the grid for good; a start that fails every time then runs every 2 s or so
 * (RestartSec=100ms on top), not ten times a second. It is held here and not by a longer RestartSec,
 * which would also delay the restart of a running agent that died, and so its rejoin.
 */
export const FAILED_START_HOLD_MS = 2_000;

/** Waits until FAILED_START_HOLD_MS after `startedAtMs` (performance.now()'s clock: the process's start is 0). */
export async function holdFailedStart(startedAtMs: number, now: () => number = () => performance.now(), sleep: (ms: number) => Promise<unknown> = delay): Promise<void> {
  const rest = startedAtMs + FAILED_START_HOLD_MS - now();
  if (rest > 0) await sleep(rest);
}
