import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * A connect that ran out of time before the host's TCP stack answered at all (no SYN-ACK): the
 * host is down, or a firewall drops its port. Within that time the kernel has already sent its SYN
 * again (1, 3 and 7 s after the first), so another attempt would only wait as long again: OpenSSH
 * (`ConnectTimeout`, one attempt) and Ansible give up after one. A timeout once TCP is up (an sshd
 * slow to greet or to finish the handshake under a burst) is still retried (retry.ts).
 *
 * `sock`: the connection's socket as the timeout fired (ssh2 destroys it just after): still
 * connecting means no answer. A jump host's stream is not a socket and is never judged here.
 */
export function unansweredConnect(err: unknown, sock: Duplex | undefined, timeoutMs: number): Error | undefined {
  const e = err as { level?: unknown } | null;
  if (!e || typeof e !== 'object' || e.level !== 'client-timeout') return undefined;
  if ((sock as Partial<Socket> | undefined)?.connecting !== true) return undefined;
  return Object.assign(new Error(`no answer to the TCP connect in ${timeoutMs} ms (the host is down, or a firewall drops the port)`, { cause: err }), { level: 'client-timeout', unanswered: true });
}

/** Whether `err` is a connect that no TCP stack answered (unansweredConnect). */
export function isUnansweredConnect(err: unknown): boolean {
  return (err as { unanswered?: unknown } | null)?.unanswered === true;
}
