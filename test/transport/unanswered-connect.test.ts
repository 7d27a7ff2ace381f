/**
 * A host whose TCP stack never answers (down, or a firewall that drops the port) is given up after
 * one ssh.connectTimeout: the kernel sent its SYN again within it. A host that answers TCP and then
 * says nothing (an sshd busy under a burst) is still retried, and so is any connect whose timeout
 * is too short for a retransmission.
 *
 * No answer, on loopback: a listener that never accepts (its process blocked in Atomics.wait, so
 * it spends no CPU), its small accept queue filled first; the kernel then drops every further SYN,
 * as for a dead host.
 */
import { jest } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectionError } from '../../src/errors/index.js';
import { KnownHosts } from '../../src/transport/known-hosts.js';
import { defaultRetryPolicy, isRetryableConnectError, retriesFor } from '../../src/transport/retry.js';
import { SshTransport } from '../../src/transport/ssh-transport.js';
import { isUnansweredConnect, unansweredConnect } from '../../src/transport/unanswered-connect.js';
import { SilentHosts, writeKey } from './connect-support.js';

jest.setTimeout(20_000);

const LISTEN_WITHOUT_ACCEPT = `
const server = require('node:net').createServer();
server.listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => {
  process.stdout.write(String(server.address().port) + '\\n', () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0));
});`;

describe('a TCP connect that nothing answers', () => {
  let dir: string;
  let listener: ChildProcess;
  const fillers: Socket[] = [];
  let deafPort: number;
  let silent: SilentHosts;
  let key: ReturnType<typeof writeKey>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-unanswered-'));
    writeFileSync(join(dir, 'known_hosts'), '');
    key = writeKey(join(dir, 'id'));
    listener = spawn(process.execPath, ['-e', LISTEN_WITHOUT_ACCEPT], { stdio: ['ignore', 'pipe', 'inherit'] });
    deafPort = Number(await new Promise<Buffer>((resolve) => listener.stdout!.once('data', resolve)));
    // Fill the accept queue: connect until one connect stays unanswered (its SYN dropped).
    for (let i = 0; i < 16; i++) {
      const s = connect({ host: '127.0.0.1', port: deafPort });
      s.on('error', () => undefined);
      fillers.push(s);
      await sleep(150);
      if (s.connecting) break;
    }
    expect(fillers.at(-1)!.connecting).toBe(true);
    silent = await SilentHosts.start(['127.0.0.1']);
  });
  afterAll(async () => {
    for (const s of fillers) s.destroy();
    listener.kill();
    await silent.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** One connect, with 2 retries for a busy host and none for one that does not answer: the retries show which applied. */
  const attempt = async (port: number, readyTimeoutMs: number) => {
    const retries: number[] = [];
    const err = await SshTransport.connect(
      { name: 'n1', host: '127.0.0.1', port, identityFiles: [key.file], readyTimeoutMs },
      { knownHosts: await KnownHosts.load(join(dir, 'known_hosts')), acceptNewHostKeys: true, agentSocket: null, retry: { retries: 2, refusedRetries: 1, unansweredRetries: 0, baseDelayMs: 10, maxDelayMs: 10 }, onRetry: (n) => retries.push(n) },
    ).then(
      async (t) => {
        await t.close();
        throw new Error('connected');
      },
      (e: unknown) => e,
    );
    return { err: err as ConnectionError, retries };
  };

  it('is given up after one timeout of 3 s, saying the host did not answer and what to check', async () => {
    const { err, retries } = await attempt(deafPort, 3000);
    expect(retries).toEqual([]);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.message).toBe(`n1: cannot connect to 127.0.0.1:${deafPort}: no answer to the TCP connect within 3 s (ssh.connectTimeout)`);
    expect(err.hint).toBe(`check that the host is up and that no firewall drops port ${deafPort} (\`nc -vz -w 3 127.0.0.1 ${deafPort}\` from here); on a slow link, raise ssh.connectTimeout in the topology (now 3s)`);
  });

  it('a timeout too short for the kernel to send the SYN again is retried', async () => {
    const { err, retries } = await attempt(deafPort, 300);
    expect(retries).toEqual([1, 2]);
    expect(err.message).toMatch(/after 3 attempts: no answer to the TCP connect within 300 ms \(ssh\.connectTimeout\)$/);
  });

  it('a host that accepts TCP and then says nothing is retried', async () => {
    const before = silent.seen.get('127.0.0.1')!.length;
    const { err, retries } = await attempt(silent.port, 300);
    expect(retries).toEqual([1, 2]);
    expect(err.message).toMatch(/after 3 attempts: the TCP connection was accepted, but no SSH greeting came within 300 ms \(ssh\.connectTimeout\)$/);
    expect(silent.seen.get('127.0.0.1')!.length - before).toBe(3);
  });

  it('the rule: a timeout of 3 s or more, to an address, on a socket still connecting', () => {
    const timeout = Object.assign(new Error('Timed out while waiting for handshake'), { level: 'client-timeout' });
    const connecting = { connecting: true } as unknown as Socket;
    const at = { sock: connecting, host: '10.0.0.1', timeoutMs: 10_000 };
    const unanswered = unansweredConnect(timeout, at)!;
    expect(unanswered.message).toBe('no answer to the TCP connect within 10 s (ssh.connectTimeout)');
    expect(isUnansweredConnect(unanswered)).toBe(true);
    expect(isRetryableConnectError(unanswered)).toBe(true);
    expect(retriesFor(unanswered, defaultRetryPolicy)).toBe(0);
    expect(unansweredConnect(timeout, { ...at, sock: { connecting: false } as unknown as Socket })).toBeUndefined();
    expect(unansweredConnect(timeout, { ...at, sock: undefined })).toBeUndefined();
    expect(unansweredConnect(timeout, { ...at, host: 'node-01.example.org' })).toBeUndefined();
    expect(unansweredConnect(timeout, { ...at, timeoutMs: 2999 })).toBeUndefined();
    expect(unansweredConnect(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), at)).toBeUndefined();
    expect(retriesFor(timeout, defaultRetryPolicy)).toBe(3);
  });

  it('a network that says there is no route gets one short retry, as a refusal does', () => {
    for (const code of ['EHOSTUNREACH', 'ENETUNREACH']) expect(retriesFor(Object.assign(new Error(code), { code }), defaultRetryPolicy)).toBe(1);
    expect(retriesFor(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), defaultRetryPolicy)).toBe(3);
  });
});
