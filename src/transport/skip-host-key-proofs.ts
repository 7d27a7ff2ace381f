import type { Client } from 'ssh2';

/** What OpenSSH's sshd sends after authentication: every host key it has (UpdateHostKeys, PROTOCOL 2.5). */
const HOST_KEYS_ANNOUNCED = 'hostkeys-00@openssh.com';

type GlobalRequestHandler = (protocol: { requestSuccess(): void; ping(): void }, name: string, wantReply: boolean, data: unknown) => void;

/**
 * Leaves unanswered the host keys OpenSSH's sshd announces after authentication, which ssh2
 * answers on every connection to an OpenSSH server by asking it to prove each one
 * (`hostkeys-prove-00@openssh.com`): one more round trip, a signature by each of the host's keys
 * (an RSA key's is the dearest), and on the client a parse and a verification of each, for a
 * `hostkeys` event gridops never listens to. OpenSSH's client asks for the proofs only to record
 * keys it does not yet know (UpdateHostKeys, off when known_hosts is a file of one's own, as for
 * Ansible's runs); gridops checks the host key in the key exchange and records a key only there
 * (known-hosts.ts, --accept-new-host-keys), so nothing it relies on changes.
 *
 * Call right after `client.connect()` on a new client, which creates the protocol whose handler
 * this wraps (a connect() on a client whose socket is still open makes its protocol later, after
 * the close, where this wrap would not reach; gridops makes a client per connection). Returns
 * false, changing nothing, on an ssh2 whose internals differ (no such handler): ssh2 then keeps
 * asking, which the caller logs.
 *
 * The announcement is also answered at once with a keepalive (ackAtOnce below), whose only purpose
 * is the TCP acknowledgement it carries.
 */
export function skipHostKeyProofs(client: Client): boolean {
  const handlers = (client as unknown as { _protocol?: { _handlers?: { GLOBAL_REQUEST?: GlobalRequestHandler } } })._protocol?._handlers;
  const answer = handlers?.GLOBAL_REQUEST;
  if (!handlers || typeof answer !== 'function') return false;
  handlers.GLOBAL_REQUEST = (protocol, name, wantReply, data) => {
    if (name !== HOST_KEYS_ANNOUNCED) return answer(protocol, name, wantReply, data);
    // sshd sends it without asking for a reply; a server that asks gets the success ssh2 would give.
    if (wantReply) protocol.requestSuccess();
    ackAtOnce(client, protocol);
  };
  return true;
}

/**
 * Sends a keepalive (`keepalive@openssh.com`, which sshd answers with a failure that ssh2's own
 * keepalives ignore too) right after the host keys announcement when a channel open is still
 * unanswered, so that the client's TCP acknowledgement of the announcement leaves at once.
 *
 * Why: sshd sends the announcement as soon as the login succeeds, while the client may be sending
 * its first channel open. sshd leaves Nagle's algorithm on outside a pty, so its answer to an open
 * that crossed the announcement waits until the announcement is acknowledged, and the client, with
 * nothing else to send, delays that acknowledgement by the kernel's 40 ms. Seen on lab hosts with
 * tcpdump in a 1-host apply: the open's confirmation came 40.8 ms late, released by the client's
 * delayed ACK; with the keepalive the host's read took 16 to 18 ms instead of 53 to 57 ms, and the
 * no-change apply 0.205 s instead of 0.25 s (medians of 12 alternating runs, 2026-12-05). A real
 * network does the same wherever the two cross. Only then: a keepalive after every announcement
 * cost 50 lab hosts 1 to 3% (the machine's two cores were saturated, and a client that busy
 * acknowledges late whatever it sends).
 *
 * Its reply is matched to a callback of its own (ssh2 matches global requests' replies in order,
 * as for its own keepalives). On an ssh2 whose reply queue or channel table is not where this
 * looks, nothing is sent.
 */
function ackAtOnce(client: Client, protocol: { ping(): void }): void {
  const internals = client as unknown as { _callbacks?: unknown; _chanMgr?: { _channels?: unknown } };
  const replies = internals._callbacks;
  const channels = internals._chanMgr?._channels;
  if (!Array.isArray(replies) || typeof protocol.ping !== 'function' || typeof channels !== 'object' || channels === null) return;
  // ssh2 keeps an open's callback in the table until the server confirms it, then the channel.
  if (!Object.values(channels).some((entry) => typeof entry === 'function')) return;
  replies.push(() => undefined);
  protocol.ping();
}
