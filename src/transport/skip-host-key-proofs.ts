import type { Client } from 'ssh2';

/** What OpenSSH's sshd sends after authentication: every host key it has (UpdateHostKeys, PROTOCOL 2.5). */
const HOST_KEYS_ANNOUNCED = 'hostkeys-00@openssh.com';

type GlobalRequestHandler = (protocol: { requestSuccess(): void }, name: string, wantReply: boolean, data: unknown) => void;

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
 */
export function skipHostKeyProofs(client: Client): boolean {
  const handlers = (client as unknown as { _protocol?: { _handlers?: { GLOBAL_REQUEST?: GlobalRequestHandler } } })._protocol?._handlers;
  const answer = handlers?.GLOBAL_REQUEST;
  if (!handlers || typeof answer !== 'function') return false;
  handlers.GLOBAL_REQUEST = (protocol, name, wantReply, data) => {
    if (name !== HOST_KEYS_ANNOUNCED) return answer(protocol, name, wantReply, data);
    // sshd sends it without asking for a reply; a server that asks gets the success ssh2 would give.
    if (wantReply) protocol.requestSuccess();
  };
  return true;
}
