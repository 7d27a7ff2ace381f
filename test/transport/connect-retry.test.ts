/**
 * Which connect failures are retried, and how often (retry.ts): a port nothing listens on is
 * refused, so it gets one short retry and the host is reported in about half a second, as
 * OpenSSH's single attempt is; a connection dropped before the handshake (sshd's MaxStartups under
 * a burst) keeps its retries with backoff. Real sockets on loopback, no sshd.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionError } from '../../src/errors/index.js';
import { KnownHosts } from '../../src/transport/known-hosts.js';
import { defaultRetryPolicy, retriesFor, type RetryPolicy } from '../../src/transport/retry.js';
import type { SshSessionOptions } from '../../src/transport/ssh-session-options.js';
import { SshTransport } from '../../src/transport/ssh-transport.js';
import { writeKey } from './connect-support.js';
import { freePort } from './sshd-harness.js';

const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED', level: 'client-socket' });

describe('connect retries by cause', () => {
  it('the default policy: one retry for a refusal, three for a drop, reset or timeout, none for the rest', () => {
    const count = (e: unknown) => retriesFor(e, defaultRetryPolicy);
    expect(count(refused)).toBe(1);
    // A jump host whose own connect to the target was refused (SSH_OPEN_CONNECT_FAILED).
    expect(count(Object.assign(new Error('(SSH) Channel open failure: Connection refused'), { reason: 2 }))).toBe(1);
    // The same code for a target that is down or unreachable: OpenSSH uses it for every failed
    // connect, so only the description marks a refusal, and these keep their three retries.
    expect(count(Object.assign(new Error('(SSH) Channel open failure: Connection timed out'), { reason: 2 }))).toBe(3);
    expect(count(Object.assign(new Error('(SSH) Channel open failure: No route to host'), { reason: 2 }))).toBe(3);
    expect(count(Object.assign(new Error('Connection lost before handshake'), { level: 'client-socket' }))).toBe(3);
    expect(count(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', level: 'client-socket' }))).toBe(3);
    expect(count(Object.assign(new Error('Timed out while waiting for handshake'), { level: 'client-timeout' }))).toBe(3);
    expect(count(Object.assign(new Error('All configured authentication methods failed'), { level: 'client-authentication' }))).toBe(0);
    expect(count(Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' }))).toBe(0);
  });

  describe('on real sockets', () => {
    let dir: string;
    let key: ReturnType<typeof writeKey>;
    let closedPort: number;
    let dropping: Server;
    let droppingPort: number;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'gridops-retry-'));
      key = writeKey(join(dir, 'id'));
      // A port that was just free: nothing listens there, so a connect is refused.
      closedPort = await freePort();
      // sshd past MaxStartups: it accepts, then drops the connection before saying anything.
      dropping = createServer((socket) => socket.destroy());
      await new Promise<void>((resolve) => dropping.listen(0, '127.0.0.1', () => resolve()));
      droppingPort = (dropping.address() as { port: number }).port;
    });
    afterAll(async () => {
      await new Promise((resolve) => dropping.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    });

    async function connect(port: number, retry?: RetryPolicy): Promise<{ error: unknown; retries: number; ms: number }> {
      let retries = 0;
      const options: SshSessionOptions = { knownHosts: KnownHosts.fromText(''), agentSocket: null, readyTimeoutMs: 5000, onRetry: () => retries++, ...(retry ? { retry } : {}) };
      const t0 = Date.now();
      const error = await SshTransport.connect({ name: 'n1', host: '127.0.0.1', port, identityFiles: [key.file] }, options).then(
        async (t) => {
          await t.close();
          return undefined;
        },
        (e: unknown) => e,
      );
      return { error, retries, ms: Date.now() - t0 };
    }

    it('a refused port is reported after one short retry, well under a second', async () => {
      const r = await connect(closedPort);
      expect(r.error).toBeInstanceOf(ConnectionError);
      expect((r.error as Error).message).toMatch(/^n1: cannot connect to 127\.0\.0\.1:\d+ after 2 attempts: connect ECONNREFUSED/);
      expect(r.retries).toBe(1);
      // One delay of 250 to 500 ms; four attempts took 1.75 to 3.5 s.
      expect(r.ms).toBeLessThan(1000);
    });

    it('a connection dropped before the handshake keeps its retries; a refusal under the same policy does not', async () => {
      const fast: RetryPolicy = { ...defaultRetryPolicy, baseDelayMs: 10, maxDelayMs: 20 };
      const dropped = await connect(droppingPort, fast);
      expect(dropped.error).toBeInstanceOf(ConnectionError);
      expect((dropped.error as Error).message).toMatch(/after 4 attempts/);
      expect(dropped.retries).toBe(3);
      const refusedThere = await connect(closedPort, fast);
      expect((refusedThere.error as Error).message).toMatch(/after 2 attempts: connect ECONNREFUSED/);
      expect(refusedThere.retries).toBe(1);
    });
  });
});
