/**
 * A host whose TCP stack never answers (down, or a firewall that drops the port) is given up after
 * one ssh.connectTimeout: the kernel already sent its SYN again within it. A host that answers TCP
 * and then says nothing (an sshd busy under a burst) is still retried.
 *
 * No answer, on loopback: a listener of backlog 0 that never accepts, its one queue slot taken, so
 * the kernel drops every further SYN (tcp_abort_on_overflow is 0 by default), as a dead host would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionError } from '../../src/errors/index.js';
import { KnownHosts } from '../../src/transport/known-hosts.js';
import { isRetryableConnectError, retriesFor, defaultRetryPolicy } from '../../src/transport/retry.js';
import { SshTransport, type SshSessionOptions } from '../../src/transport/ssh-transport.js';
import { isUnansweredConnect, unansweredConnect } from '../../src/transport/unanswered-connect.js';
import { SilentHosts, writeKey } from './connect-support.js';

const LISTEN_WITHOUT_ACCEPT = "import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(60)";

describe('a TCP connect that nothing answers', () => {
  let dir: string;
  let listener: ChildProcess;
  let filler: Socket;
  let deafPort: number;
  let silent: SilentHosts;
  let options: () => Promise<SshSessionOptions>;
  let key: ReturnType<typeof writeKey>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-unanswered-'));
    writeFileSync(join(dir, 'known_hosts'), '');
    key = writeKey(join(dir, 'id'));
    listener = spawn('python3', ['-c', LISTEN_WITHOUT_ACCEPT], { stdio: ['ignore', 'pipe', 'inherit'] });
    deafPort = Number(await new Promise<Buffer>((resolve) => listener.stdout!.once('data', resolve)));
    filler = connect({ host: '127.0.0.1', port: deafPort });
    await new Promise((resolve) => filler.once('connect', resolve));
    silent = await SilentHosts.start(['127.0.0.1']);
    // Two retries for a busy host, none for one that does not answer: the attempts show which applied.
    options = async () => ({ knownHosts: await KnownHosts.load(join(dir, 'known_hosts')), acceptNewHostKeys: true, agentSocket: null, retry: { retries: 2, refusedRetries: 1, unansweredRetries: 0, baseDelayMs: 10, maxDelayMs: 10 } });
  });
  afterAll(async () => {
    filler.destroy();
    listener.kill();
    await silent.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const attempt = async (port: number) => {
    const t0 = Date.now();
    const err = await SshTransport.connect({ name: 'n1', host: '127.0.0.1', port, identityFiles: [key.file], readyTimeoutMs: 300 }, await options()).then(
      async (t) => {
        await t.close();
        throw new Error('connected');
      },
      (e: unknown) => e,
    );
    return { err: err as ConnectionError, ms: Date.now() - t0 };
  };

  it('is given up after one timeout, and says the host did not answer', async () => {
    const { err, ms } = await attempt(deafPort);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.message).toBe(`n1: cannot connect to 127.0.0.1:${deafPort}: no answer to the TCP connect in 300 ms (the host is down, or a firewall drops the port)`);
    expect(ms).toBeLessThan(1500);
  });

  it('a host that accepts TCP and then says nothing is retried, as before', async () => {
    const before = silent.seen.get('127.0.0.1')!.length;
    const { err } = await attempt(silent.port);
    expect(err.message).toMatch(/after 3 attempts: Timed out while waiting for handshake/);
    expect(silent.seen.get('127.0.0.1')!.length - before).toBe(3);
  });

  it('the rule: a timeout on a socket still connecting, only', () => {
    const timeout = Object.assign(new Error('Timed out while waiting for handshake'), { level: 'client-timeout' });
    const stillConnecting = { connecting: true } as unknown as Socket;
    const connected = { connecting: false } as unknown as Socket;
    const unanswered = unansweredConnect(timeout, stillConnecting, 10_000)!;
    expect(isUnansweredConnect(unanswered)).toBe(true);
    expect(isRetryableConnectError(unanswered)).toBe(true);
    expect(retriesFor(unanswered, defaultRetryPolicy)).toBe(0);
    expect(unansweredConnect(timeout, connected, 10_000)).toBeUndefined();
    expect(unansweredConnect(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), stillConnecting, 10_000)).toBeUndefined();
    expect(unansweredConnect(timeout, undefined, 10_000)).toBeUndefined();
    expect(retriesFor(timeout, defaultRetryPolicy)).toBe(3);
  });
});
