/**
 * Runs one async task per host with bounded concurrency (`--concurrency`, default 50).
 * Settled, not fail-fast: every host gets an outcome, in input order. With `failFast`, or once
 * `signal` aborts, hosts that have not started are reported as skipped; running ones finish.
 */
import { setMaxListeners } from 'node:events';
import pLimit from 'p-limit';

export type HostOutcome<T> =
  | { host: string; status: 'ok'; value: T; ms: number }
  | { host: string; status: 'failed'; error: unknown; ms: number }
  | { host: string; status: 'skipped'; reason: 'aborted' | 'fail-fast' };

export interface FanOutOptions {
  /** Default 50. */
  concurrency?: number;
  /** Stop starting hosts after the first failure. */
  failFast?: boolean;
  /** Ctrl-C: stop starting hosts. It is also passed to each task. */
  signal?: AbortSignal;
}

export const DEFAULT_CONCURRENCY = 50;

export async function fanOut<H, T>(
  items: readonly H[],
  hostOf: (item: H) => string,
  task: (item: H, signal: AbortSignal) => Promise<T>,
  options: FanOutOptions = {},
): Promise<HostOutcome<T>[]> {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? DEFAULT_CONCURRENCY));
  const limit = pLimit(concurrency);
  // Our own controller, so fail-fast can stop new work without touching the caller's signal.
  const stop = new AbortController();
  // Each task in flight may listen to it: up to `concurrency` listeners, not a leak.
  setMaxListeners(0, stop.signal);
  let stopReason: 'aborted' | 'fail-fast' = 'aborted';
  const onAbort = () => {
    stopReason = 'aborted';
    stop.abort(options.signal?.reason);
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await Promise.all(
      items.map((item) =>
        limit(async (): Promise<HostOutcome<T>> => {
          const host = hostOf(item);
          if (stop.signal.aborted) return { host, status: 'skipped', reason: stopReason };
          const t0 = performance.now();
          try {
            const value = await task(item, stop.signal);
            return { host, status: 'ok', value, ms: Math.round(performance.now() - t0) };
          } catch (error) {
            if (options.failFast && !stop.signal.aborted) {
              stopReason = 'fail-fast';
              stop.abort(error);
            }
            return { host, status: 'failed', error, ms: Math.round(performance.now() - t0) };
          }
        }),
      ),
    );
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}
