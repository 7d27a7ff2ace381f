import type { Duplex } from 'node:stream';
import type { Client as SshClient } from 'ssh2';
import { HostKeyError, InterruptedError } from '../errors/index.js';
import type { TransportLogger } from './logger.js';
import { abortableDelay, backoffDelay, defaultRetryPolicy, retriesFor } from './retry.js';
import { toConnectionError } from './ssh-connect-error.js';
import type { Endpoint } from './ssh-endpoint.js';
import { handshake } from './ssh-handshake.js';
import type { SshSessionOptions } from './ssh-session-options.js';

/** Connects with retries (connection failures only). `open` makes the socket, e.g. through a jump host. */
export async function connectWithRetry(ep: Endpoint, opts: SshSessionOptions, log: TransportLogger, open?: () => Promise<Duplex>): Promise<SshClient> {
  const policy = opts.retry ?? defaultRetryPolicy;
  for (let attempt = 0; ; attempt++) {
    if (opts.signal?.aborted) throw new InterruptedError(`${ep.label}: interrupted before connecting`);
    try {
      if (!open) return await handshake(ep, opts, log);
      // Through a jump host, one budget per attempt as a direct connect has: the jump host's channel
      // to the target (its TCP connect) and then the handshake, within the host's own timeout.
      const started = performance.now();
      const sock = await openWithin(open, ep, opts.signal);
      const left = Math.max(1, Math.round(ep.readyTimeoutMs - (performance.now() - started)));
      return await handshake({ ...ep, readyTimeoutMs: left }, opts, log, sock);
    } catch (e) {
      if (attempt >= retriesFor(e, policy) || e instanceof HostKeyError) throw toConnectionError(ep, opts, e, attempt + 1);
      const delay = backoffDelay(attempt, policy);
      log.debug({ host: ep.label, attempt: attempt + 1, delayMs: delay }, `${ep.label}: connect failed (${(e as Error).message}); retrying in ${delay} ms`);
      opts.onRetry?.(attempt + 1, delay, e);
      await abortableDelay(delay, opts.signal);
    }
  }
}

/**
 * The jump host's stream to the target, or a timeout (retried as ssh2's own handshake timeout is):
 * a jump host whose TCP connect to the target hangs must not hold the host past its timeout, nor
 * past a Ctrl-C.
 */
function openWithin(open: () => Promise<Duplex>, ep: Endpoint, signal?: AbortSignal): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    let late = false;
    const giveUp = (e: Error) => {
      late = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      reject(e);
    };
    const timer = setTimeout(() => giveUp(Object.assign(new Error(`Timed out after ${ep.readyTimeoutMs} ms while waiting for the jump host to open a channel to ${ep.host}:${ep.port}`), { level: 'client-timeout' })), ep.readyTimeoutMs);
    const onAbort = () => giveUp(new InterruptedError(`${ep.label}: interrupted while connecting`));
    signal?.addEventListener('abort', onAbort, { once: true });
    open().then(
      (stream) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (late) stream.destroy();
        else resolve(stream);
      },
      (e: unknown) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (!late) reject(e);
      },
    );
  });
}
