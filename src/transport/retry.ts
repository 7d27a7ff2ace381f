/** Retry with exponential backoff and full jitter, for connection failures only. */
import { setTimeout as sleep } from 'node:timers/promises';
import { InterruptedError } from '../errors/index.js';
import { isUnansweredConnect } from './unanswered-connect.js';

export interface RetryPolicy {
  /** Attempts after the first one, for a connection dropped, reset or timed out before the handshake. */
  retries: number;
  /** Attempts after the first one when the host refused the connection (nothing listens on its port), or the network said it has no route to it. */
  refusedRetries: number;
  /** Attempts after the first one when nothing answered the TCP connect within the timeout (unanswered-connect.ts). */
  unansweredRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * A refusal gets one short retry (250 to 500 ms later), as OpenSSH's one attempt nearly is: it
 * covers an sshd restarting for its own upgrade, and an unreachable port is reported in about
 * half a second (it was 3 s, after 4 attempts); so does a network that says it has no route to the
 * host. A TCP connect to an address that nothing answered within a timeout of 3 s or more gets
 * none (unanswered-connect.ts): the kernel already sent its SYN again, and a host that is down was
 * reported after about 4 x ssh.connectTimeout (42 s at the default 10 s). A drop before the handshake (sshd's
 * MaxStartups under a burst) or a timeout once TCP is up keeps 3 retries with backoff: that host
 * is up and busy.
 */
export const defaultRetryPolicy: RetryPolicy = { retries: 3, refusedRetries: 1, unansweredRetries: 0, baseDelayMs: 500, maxDelayMs: 8000 };

/**
 * Delay before retry number `attempt` (0-based): uniform in [d/2, d] with d = base * 2^attempt,
 * capped. Half-jitter keeps a floor so 50 hosts refused at once do not all come back instantly.
 */
export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random: () => number = Math.random): number {
  const d = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.round(d / 2 + random() * (d / 2));
}

const RETRYABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'EPIPE', 'EAI_AGAIN']);

/**
 * Whether an ssh2 connect error is worth retrying: network refusals, timeouts, a connection dropped
 * before the handshake (sshd's MaxStartups does that under a burst), or a jump host that could not
 * reach the target. Never authentication, host keys, algorithm mismatches, or a port where another
 * service answers.
 */
export function isRetryableConnectError(err: unknown): boolean {
  const e = err as { code?: unknown; level?: unknown; message?: unknown; reason?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.level === 'client-authentication' || e.level === 'agent') return false;
  // Another service on the port (before-handshake.ts): no retry makes it sshd.
  if ((e as { failure?: unknown }).failure === 'not-ssh') return false;
  if (typeof e.code === 'string' && RETRYABLE_CODES.has(e.code)) return true;
  if (e.level === 'client-timeout') return true;
  const msg = typeof e.message === 'string' ? e.message : '';
  if (/Connection lost before handshake|Timed out while waiting for handshake|read ECONNRESET/.test(msg)) return true;
  // forwardOut through a jump host: SSH_OPEN_CONNECT_FAILED (2) is the jump host's failed connect
  // to the target, whatever the cause (refused, timed out, no route).
  if (e.reason === 2 || /^\(SSH\) Channel open failure: Connection refused/.test(msg)) return true;
  return false;
}

/**
 * Whether an ssh2 connect error says that nothing listens on the port (ECONNREFUSED, or a jump
 * host whose own connect to the target was refused): no sshd there, as opposed to one too busy.
 * A jump host's SSH_OPEN_CONNECT_FAILED alone is not enough: OpenSSH sends that code for a timeout
 * or an unreachable target too, and only its description ("Connection refused") tells them apart.
 */
export function isRefusedConnectError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  const msg = typeof e.message === 'string' ? e.message : '';
  return e.code === 'ECONNREFUSED' || /Connection refused/.test(msg);
}

/**
 * Whether the network answered that the host cannot be reached: no route (ENETUNREACH, at once),
 * or no neighbour (EHOSTUNREACH: the host of the local network did not answer ARP within about
 * 3 s, or a router said so). A refusal of a kind: one short retry, as for a refused port, not 3.
 */
export function isNoRouteError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'EHOSTUNREACH' || code === 'ENETUNREACH';
}

/** How many attempts after the first one `err` earns under `policy`: none for what a retry cannot fix. */
export function retriesFor(err: unknown, policy: RetryPolicy): number {
  if (!isRetryableConnectError(err)) return 0;
  // `?? 0`: a policy object from before the field (RetryPolicy is exported) must not retry such a host forever.
  if (isUnansweredConnect(err)) return policy.unansweredRetries ?? 0;
  return isRefusedConnectError(err) || isNoRouteError(err) ? policy.refusedRetries : policy.retries;
}

/** Waits, or rejects with InterruptedError as soon as the signal fires. */
export async function abortableDelay(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) throw new InterruptedError('interrupted');
  try {
    await sleep(ms, undefined, signal ? { signal } : undefined);
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw new InterruptedError('interrupted');
    throw e;
  }
}
