import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { noTcpAnswerWithin } from './connect-timeout-words.js';

/**
 * The kernel's first SYN retransmission comes 1 s after the SYN, the next 3 s after it (RTO 1 s,
 * doubled): a timeout of at least this long has sent the SYN again at least once.
 */
export const RESENT_WITHIN_MS = 3000;

/**
 * A connect that ran out of time before the host's TCP stack answered at all (no SYN-ACK): the
 * host is down, or a firewall drops its port. Within a timeout of 3 s or more the kernel has sent
 * its SYN again (1, 3 and 7 s after the first), so another attempt would only wait as long again:
 * OpenSSH (`ConnectTimeout`, one attempt) and Ansible give up after one. Not judged:
 * - a shorter timeout, which no retransmission fits in: one lost SYN is retried as before;
 * - a host name (the socket is `connecting` while the resolver works too: a slow DNS answer is
 *   not a dead host);
 * - a jump host's stream, which is not a socket (the jump host's channel has its own timeout).
 * A timeout once TCP is up (an sshd slow to greet or to finish the handshake under a burst) is
 * still retried (retry.ts). A SYN-ACK that arrived while the event loop was blocked right at the
 * deadline is judged unanswered: libuv runs the timer before the connect completes; the host then
 * shows as unreachable in this run and is reached by the next.
 *
 * `sock`: the connection's socket as ssh2 reports its timeout (it destroys it just after).
 */
export function unansweredConnect(err: unknown, at: { sock: Duplex | undefined; host: string; timeoutMs: number }): Error | undefined {
  const e = err as { level?: unknown } | null;
  if (!e || typeof e !== 'object' || e.level !== 'client-timeout') return undefined;
  if (at.timeoutMs < RESENT_WITHIN_MS || isIP(at.host) === 0) return undefined;
  if ((at.sock as Partial<Socket> | undefined)?.connecting !== true) return undefined;
  return Object.assign(new Error(noTcpAnswerWithin(at.timeoutMs), { cause: err }), { level: 'client-timeout', unanswered: true });
}

/** Whether `err` is a connect that no TCP stack answered (unansweredConnect). */
export function isUnansweredConnect(err: unknown): boolean {
  return (err as { unanswered?: unknown } | null)?.unanswered === true;
}
