/** Retry with exponential backoff and full jitter, for connection failures only. */
import { setTimeout as sleep } from 'node:timers/promises';
import { InterruptedError } from '../errors/index.js';

export interface RetryPolicy {
  /** Attempts after the first one. */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { retries: 3, baseDelayMs: 500, maxDelayMs: 8000 };

/**
 * Delay before retry number `attempt` (0-based): uniform in [d/2, d] with d = base * 2^attempt,
 * capped. Half-jitter keeps a floor so 50 hosts refused at once do not all come back instantly.
 */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const d = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.round(d / 2 + random() * (d / 2));
}

const RETRYABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'EPIPE', 'EAI_AGAIN']);

/**
 * Whether an ssh2 connect error is worth retrying: network refusals, timeouts, a connection dropped
 * before the handshake (sshd's MaxStartups does that under a burst), or a jump host that could not
 * reach the target. Never authentication, host keys, or algorithm mismatches.
 */
export function isRetryableConnectError(err: unknown): boolean {
  const e = err as { code?: unknown; level?: unknown; message?: unknown; reason?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.level === 'client-authentication' || e.level === 'agent') return false;
  if (typeof e.code === 'string' && RETRYABLE_CODES.has(e.code)) return true;
  if (e.level === 'client-timeout') return true;
  const msg = typeof e.message === 'string' ? e.message : '';
  if (/Connection lost before handshake|Timed out while waiting for handshake|read ECONNRESET/.test(msg)) return true;
  // forwardOut through a jump host: SSH_OPEN_CONNECT_FAILED (2) means the target refused.
  if (e.reason === 2 || /^\(SSH\) Channel open failure: Connection refused/.test(msg)) return true;
  return false;
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
