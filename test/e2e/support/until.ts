import { setTimeout as sleep } from 'node:timers/promises';

/** Waits until `check` holds (up to `ms`), looking every 50 ms; whether it held. */
export async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await sleep(50);
  }
  return check();
}
