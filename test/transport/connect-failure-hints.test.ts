/**
 * Each kind of connect failure says what happened in gridops' words, with a hint of its own that
 * fits it: a refused port (nothing listens), a TCP connect nothing answers, no route, a name that
 * does not resolve, a port that accepts and says nothing, an sshd that does not finish its
 * handshake, and a port where another service answers (not retried: no retry makes it sshd).
 * Hints that name ssh.connectTimeout name the value in force. Real sockets on loopback, no sshd.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionError } from '../../src/errors/index.js';
import { KnownHosts } from '../../src/transport/known-hosts.js';
import { defaultRetryPolicy, type RetryPolicy } from '../../src/transport/retry.js';
import { toConnectionError } from '../../src/transport/ssh-connect-error.js';
import type { SshSessionOptions } from '../../src/transport/ssh-session-options.js';
import { SshTransport } from '../../src/transport/ssh-transport.js';
import { writeKey } from './connect-support.js';
import { freePort } from './sshd-harness.js';

/** The connections the servers below accepted, closed at the end. */
const sockets = new Set<Socket>();

/** A TCP server on 127.0.0.1 that does `onSocket` with each connection. */
async function serve(onSocket: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    sockets.add(socket);
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, port: (server.address() as { port: number }).port };
}

describe('connect failures, each with its own words and hint', () => {
  let dir: string;
  let key: ReturnType<typeof writeKey>;
  const servers: Server[] = [];
  let http: number;
  let silent: number;
  let greetsOnly: number;
  const accepted = new Map<number, number>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-failure-hints-'));
    key = writeKey(join(dir, 'id'));
    const count = (port: () => number) => accepted.set(port(), (accepted.get(port()) ?? 0) + 1);
    // An HTTP server: it reads the client's first line and answers as HTTP does, then closes.
    const h = await serve((socket) => socket.once('data', () => { count(() => h.port); socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'); }));
    // A port that accepts and never says anything.
    const s = await serve((socket) => { count(() => s.port); socket.resume(); });
    // An sshd that sends its identification and then nothing (no key exchange).
    const g = await serve((socket) => { count(() => g.port); socket.resume(); socket.write('SSH-2.0-OpenSSH_9.2p1\r\n'); });
    servers.push(h.server, s.server, g.server);
    [http, silent, greetsOnly] = [h.port, s.port, g.port];
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    rmSync(dir, { recursive: true, force: true });
  });

  async function connect(port: number, readyTimeoutMs: number, retry: RetryPolicy = defaultRetryPolicy): Promise<{ error: ConnectionError; retries: number; ms: number }> {
    let retries = 0;
    const options: SshSessionOptions = { knownHosts: KnownHosts.fromText(''), agentSocket: null, onRetry: () => retries++, retry };
    const t0 = Date.now();
    const error = await SshTransport.connect({ name: 'n1', host: '127.0.0.1', port, identityFiles: [key.file], readyTimeoutMs }, options).then(
      async (t) => {
        await t.close();
        return new Error('connected');
      },
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(ConnectionError);
    return { error: error as ConnectionError, retries, ms: Date.now() - t0 };
  }

  it('a port where another service answers: "not an SSH server", with what it sent, at once and without retries', async () => {
    const r = await connect(http, 10_000);
    expect(r.error.message).toBe(`n1: cannot connect to 127.0.0.1:${http}: not an SSH server (it sent: "HTTP/1.1 400 Bad Request")`);
    expect(r.error.hint).toBe(`another service listens on port ${http} of the host: set ssh.port in the topology (or Port in ~/.ssh/config) to the port its sshd listens on`);
    expect(r.retries).toBe(0);
    expect(accepted.get(http)).toBe(1);
    expect(r.ms).toBeLessThan(2000);
  });

  it('a refused port: the hint says nothing listens there, and does not ask for a longer timeout', async () => {
    const closed = await freePort();
    const r = await connect(closed, 7000, { ...defaultRetryPolicy, refusedRetries: 0 });
    expect(r.error.message).toBe(`n1: cannot connect to 127.0.0.1:${closed}: connect ECONNREFUSED 127.0.0.1:${closed}`);
    expect(r.error.hint).toBe(`nothing listens on port ${closed} of the host (connection refused): check that sshd runs there and listens on port ${closed} (\`ss -tln\` on the host lists the ports it listens on), or set ssh.port in the topology to its port`);
    expect(r.error.hint).not.toMatch(/connectTimeout/);
  });

  it('a port that accepts and says nothing: in gridops words, and the hint names the connectTimeout in force', async () => {
    const r = await connect(silent, 1500, { ...defaultRetryPolicy, retries: 0 });
    expect(r.error.message).toBe(`n1: cannot connect to 127.0.0.1:${silent}: the TCP connection was accepted, but no SSH greeting came within 1500 ms (ssh.connectTimeout)`);
    expect(r.error.hint).toBe(`something on port ${silent} of the host accepts connections but says nothing: check that it is sshd (not another service, or a proxy or firewall that holds the connection); if sshd is overloaded or the link slow, raise ssh.connectTimeout in the topology (now 1500ms)`);
  });

  it('an sshd that greets and then does not finish its handshake: said so, with the connectTimeout in force', async () => {
    const r = await connect(greetsOnly, 1000, { ...defaultRetryPolicy, retries: 0 });
    expect(r.error.message).toBe(`n1: cannot connect to 127.0.0.1:${greetsOnly}: the SSH handshake did not finish within 1 s (ssh.connectTimeout)`);
    expect(r.error.hint).toBe("the host's sshd answered, but did not finish the key exchange and login in time (overloaded, or a slow link): raise ssh.connectTimeout in the topology (now 1s)");
  });

  it('a name that does not resolve, and a network with no route: hints of their own', () => {
    const ep = { label: 'n1', host: 'node-1.example.invalid', port: 22, user: 'root', readyTimeoutMs: 10_000 };
    const opts = { knownHosts: KnownHosts.fromText('') };
    const dns = toConnectionError(ep, opts, Object.assign(new Error('getaddrinfo ENOTFOUND node-1.example.invalid'), { code: 'ENOTFOUND', level: 'client-socket' }), 1) as ConnectionError;
    expect(dns.message).toBe('n1: cannot connect to node-1.example.invalid:22: getaddrinfo ENOTFOUND node-1.example.invalid');
    expect(dns.hint).toBe("the host name node-1.example.invalid does not resolve: check the node's address in the topology (or HostName in ~/.ssh/config), or this machine's DNS (`getent hosts node-1.example.invalid`)");
    const route = toConnectionError({ ...ep, host: '10.9.8.7' }, opts, Object.assign(new Error('connect EHOSTUNREACH 10.9.8.7:22'), { code: 'EHOSTUNREACH', level: 'client-socket' }), 2) as ConnectionError;
    expect(route.hint).toBe('the network has no route to the host: check that it is up and that its address in the topology is right (`ip route get 10.9.8.7` shows the route this machine takes)');
    // Every kind its own hint; none with the old one-size hint.
    const hints = [dns, route].map((e) => e.hint);
    expect(new Set(hints).size).toBe(hints.length);
    for (const hint of hints) expect(hint).not.toMatch(/default 10s/);
  });
});
