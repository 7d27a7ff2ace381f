import type { Client } from 'ssh2';

/** What a connection's server did with one keepalive: answered it, said nothing in time, or the connection closed; `unknown` where this ssh2's internals differ (nothing was sent). */
export type ServerAnswer = 'answers' | 'silent' | 'closed' | 'unknown';

/**
 * Sends one keepalive (`keepalive@openssh.com` with a reply asked for, what ssh2's own keepalives
 * and OpenSSH's ServerAliveInterval send) on an open connection and waits up to `timeoutMs` for
 * the server's reply, success or failure alike (sshd answers it with a failure). One round trip
 * in the server's own loop: no channel, no session and no process on the host.
 *
 * Why: a connection whose host went away without a word (powered off, its network cut, its
 * sshd session stopped) still looks open until a keepalive of ssh2's own goes unanswered
 * (15 s apart, 3 of them). The `--persist` keeper asks this before it hands a kept connection
 * to a run, so that such a host is connected to afresh (and, if it is gone, reported as
 * unreachable) instead of passing for reached and then failing the run's first read.
 *
 * ssh2 has no public call for it: this uses what its keepalives use (the protocol's `ping`,
 * whose reply is matched in order against the client's queue of global request callbacks, as
 * skip-host-key-proofs.ts does), and returns `unknown` without sending on an ssh2 whose
 * internals are not where this looks.
 */
export function serverAnswers(client: Client, timeoutMs: number): Promise<ServerAnswer> {
  const internals = client as unknown as { _callbacks?: unknown; _protocol?: { ping?: unknown } };
  const replies = internals._callbacks;
  const protocol = internals._protocol;
  if (!Array.isArray(replies) || typeof protocol?.ping !== 'function') return Promise.resolve('unknown');
  return new Promise((resolve) => {
    try {
      (protocol.ping as () => void).call(protocol);
    } catch {
      // A protocol that can no longer write: nothing was sent, so nothing is queued for a reply.
      return resolve('closed');
    }
    // Judged silent only after one more pass of the event loop's I/O: a process that was busy past
    // the time (many handshakes at once) runs its expired timers before it reads its sockets, and
    // would call a reply already waiting there silence, then destroy a live connection.
    const timer = setTimeout(() => setImmediate(() => resolve('silent')), Math.max(0, timeoutMs));
    // Queued after the send (no reply can come in this tick). ssh2 calls it with `true` on a
    // failure reply, `false` on a success, and an Error when the connection closes.
    replies.push((outcome: unknown) => {
      clearTimeout(timer);
      resolve(outcome instanceof Error ? 'closed' : 'answers');
    });
  });
}
