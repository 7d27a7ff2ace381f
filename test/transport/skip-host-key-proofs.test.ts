import { jest } from '@jest/globals';
import { createRequire } from 'node:module';
import { PassThrough } from 'node:stream';
import { skipHostKeyProofs } from '../../src/transport/skip-host-key-proofs.js';

const ssh2 = createRequire(import.meta.url)('ssh2') as typeof import('ssh2');

type Handler = (protocol: { requestSuccess(): void; ping(): void }, name: string, wantReply: boolean, data: unknown) => void;
interface Internals {
  _protocol: { _handlers: { GLOBAL_REQUEST: Handler }; ping(): void };
  _callbacks: unknown[];
  _chanMgr: { _channels: Record<number, unknown> };
  _remoteVer?: string;
}

/** A channel open the server has not answered yet: ssh2 keeps its callback in the channel table until then. */
function openPending(internals: Internals): void {
  internals._chanMgr._channels[0] = () => undefined;
}

/** A client of this ssh2 connected to a stream that never answers: its protocol and handlers exist, nothing is sent back. */
function connected(): { client: import('ssh2').Client; internals: Internals } {
  const client = new ssh2.Client();
  client.on('error', () => undefined);
  client.connect({ sock: new PassThrough(), username: 'root', readyTimeout: 0 });
  const internals = client as unknown as Internals;
  // What the server's version line would have set: ssh2 asks for proofs of OpenSSH servers only.
  internals._remoteVer = 'OpenSSH_9.2p1';
  return { client, internals };
}

describe('skipHostKeyProofs (the host keys sshd announces after login, left unproven)', () => {
  const open: import('ssh2').Client[] = [];
  afterEach(() => open.splice(0).forEach((c) => c.destroy()));

  it("wraps this ssh2's handler: the announcement queues no proof request; other global requests reach ssh2's own handler", () => {
    const { client, internals } = connected();
    open.push(client);
    const own = jest.fn<Handler>();
    internals._protocol._handlers.GLOBAL_REQUEST = own;
    expect(skipHostKeyProofs(client)).toBe(true);
    const protocol = { requestSuccess: jest.fn(), ping: jest.fn() };
    internals._protocol._handlers.GLOBAL_REQUEST(protocol, 'hostkeys-00@openssh.com', false, []);
    expect([own.mock.calls.length, protocol.requestSuccess.mock.calls.length, protocol.ping.mock.calls.length]).toEqual([0, 0, 0]);
    // A server that asks for a reply gets ssh2's own answer to it.
    internals._protocol._handlers.GLOBAL_REQUEST(protocol, 'hostkeys-00@openssh.com', true, []);
    expect(protocol.requestSuccess).toHaveBeenCalledTimes(1);
    internals._protocol._handlers.GLOBAL_REQUEST(protocol, 'keepalive@openssh.com', true, Buffer.alloc(0));
    expect(own).toHaveBeenCalledWith(protocol, 'keepalive@openssh.com', true, Buffer.alloc(0));
  });

  it("with ssh2's real protocol, the announcement sends one keepalive and queues only its ignored reply, where unwrapped it queues a proof request", () => {
    const wrapped = connected();
    open.push(wrapped.client);
    expect(skipHostKeyProofs(wrapped.client)).toBe(true);
    const proto = wrapped.internals._protocol;
    const ping = jest.spyOn(proto, 'ping');
    // A channel open that crossed the announcement: answered at once with a keepalive, for the TCP acknowledgement it carries.
    openPending(wrapped.internals);
    proto._handlers.GLOBAL_REQUEST(proto as unknown as Parameters<Handler>[0], 'hostkeys-00@openssh.com', false, []);
    expect(ping).toHaveBeenCalledTimes(1);
    // sshd answers the keepalive with a failure: its callback takes it and does nothing.
    expect(wrapped.internals._callbacks).toHaveLength(1);
    expect(() => (wrapped.internals._callbacks[0] as (failed: boolean) => void)(true)).not.toThrow();
    // The same call on ssh2 as it comes: it sends hostkeys-prove-00 and waits for its reply; no keepalive.
    const plain = connected();
    open.push(plain.client);
    const plainPing = jest.spyOn(plain.internals._protocol, 'ping');
    openPending(plain.internals);
    plain.internals._protocol._handlers.GLOBAL_REQUEST(plain.internals._protocol as unknown as Parameters<Handler>[0], 'hostkeys-00@openssh.com', false, []);
    expect(plain.internals._callbacks).toHaveLength(1);
    expect(plainPing).not.toHaveBeenCalled();
  });

  it('sends no keepalive where the reply queue is not where this ssh2 keeps it (internals differ)', () => {
    const { client, internals } = connected();
    open.push(client);
    expect(skipHostKeyProofs(client)).toBe(true);
    openPending(internals);
    (internals as unknown as { _callbacks: unknown })._callbacks = undefined;
    const protocol = { requestSuccess: jest.fn(), ping: jest.fn() };
    internals._protocol._handlers.GLOBAL_REQUEST(protocol, 'hostkeys-00@openssh.com', false, []);
    expect(protocol.ping).not.toHaveBeenCalled();
  });

  it('sends no keepalive when no channel open is waiting for its answer (nothing of sshd waits on the acknowledgement)', () => {
    const { client, internals } = connected();
    open.push(client);
    expect(skipHostKeyProofs(client)).toBe(true);
    const ping = jest.spyOn(internals._protocol, 'ping');
    // An open channel (confirmed: the table holds the channel, not a callback) is not waiting.
    internals._chanMgr._channels[0] = { confirmed: true };
    internals._protocol._handlers.GLOBAL_REQUEST(internals._protocol as unknown as Parameters<Handler>[0], 'hostkeys-00@openssh.com', false, []);
    expect(ping).not.toHaveBeenCalled();
    expect(internals._callbacks).toHaveLength(0);
    openPending(internals);
    internals._protocol._handlers.GLOBAL_REQUEST(internals._protocol as unknown as Parameters<Handler>[0], 'hostkeys-00@openssh.com', false, []);
    expect(ping).toHaveBeenCalledTimes(1);
  });

  it('changes nothing and says so where there is no handler to wrap (a client not connected, or another ssh2)', () => {
    expect(skipHostKeyProofs(new ssh2.Client())).toBe(false);
  });
});
