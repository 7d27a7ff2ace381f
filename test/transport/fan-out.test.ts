import { setTimeout as sleep } from 'node:timers/promises';
import { fanOut } from '../../src/transport/fan-out.js';
import { TransportPool } from '../../src/transport/pool.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { backoffDelay, isRetryableConnectError } from '../../src/transport/retry.js';
import { orderHostKeyAlgorithms } from '../../src/transport/host-key-algorithms.js';
import { parseJumpHost } from '../../src/transport/ssh-host-spec.js';

const hosts = Array.from({ length: 20 }, (_, i) => `h${i}`);

describe('fanOut', () => {
  it('never runs more than `concurrency` at once and keeps input order', async () => {
    let running = 0;
    let peak = 0;
    const out = await fanOut(hosts, (h) => h, async (h) => {
      running++;
      peak = Math.max(peak, running);
      await sleep(5);
      running--;
      return h.toUpperCase();
    }, { concurrency: 3 });
    expect(peak).toBe(3);
    expect(out.map((o) => (o.status === 'ok' ? o.value : o.status))).toEqual(hosts.map((h) => h.toUpperCase()));
  });

  it('is settled by default: one failure does not stop the others', async () => {
    const out = await fanOut(hosts.slice(0, 4), (h) => h, async (h) => {
      if (h === 'h1') throw new Error('boom');
      return 1;
    }, { concurrency: 2 });
    expect(out.map((o) => o.status)).toEqual(['ok', 'failed', 'ok', 'ok']);
  });

  it('fail-fast skips hosts not yet started, lets running ones finish', async () => {
    const out = await fanOut(hosts.slice(0, 6), (h) => h, async (h) => {
      if (h === 'h0') throw new Error('boom');
      await sleep(10);
      return 1;
    }, { concurrency: 2, failFast: true });
    expect(out.map((o) => o.status)).toEqual(['failed', 'ok', 'skipped', 'skipped', 'skipped', 'skipped']);
    expect(out[2]).toMatchObject({ reason: 'fail-fast' });
  });

  it('an abort signal stops starting new hosts and is passed to tasks', async () => {
    const ac = new AbortController();
    const seen: boolean[] = [];
    const out = await fanOut(hosts.slice(0, 5), (h) => h, async (h, signal) => {
      if (h === 'h1') ac.abort();
      await sleep(5);
      seen.push(signal.aborted);
      return 1;
    }, { concurrency: 2, signal: ac.signal });
    expect(out.map((o) => o.status)).toEqual(['ok', 'ok', 'skipped', 'skipped', 'skipped']);
    expect(seen).toEqual([true, true]);
  });
});

describe('TransportPool', () => {
  it('opens one connection per host lazily, shares concurrent first uses, closes all', async () => {
    const opened: string[] = [];
    const made: RecordingTransport[] = [];
    const pool = new TransportPool<string>(async (h) => {
      opened.push(h);
      await sleep(5);
      const t = new RecordingTransport(h);
      made.push(t);
      return t;
    }, (h) => h);
    const [a, b] = await Promise.all([pool.get('x'), pool.get('x')]);
    expect(a).toBe(b);
    await pool.get('y');
    expect(opened).toEqual(['x', 'y']);
    await pool.closeAll();
    expect(made.every((t) => t.closed)).toBe(true);
    expect(pool.size).toBe(0);
  });

  it('forgets a failed connect so a later call tries again', async () => {
    let n = 0;
    const pool = new TransportPool<string>(async (h) => {
      if (n++ === 0) throw new Error('refused');
      return new RecordingTransport(h);
    }, (h) => h);
    await expect(pool.get('x')).rejects.toThrow('refused');
    await expect(pool.get('x')).resolves.toBeInstanceOf(RecordingTransport);
  });
});

describe('retry policy', () => {
  it('backs off exponentially within [d/2, d], capped', () => {
    const p = { retries: 5, baseDelayMs: 100, maxDelayMs: 1000 };
    expect([0, 1, 2, 3, 4].map((a) => backoffDelay(a, p, () => 1))).toEqual([100, 200, 400, 800, 1000]);
    expect(backoffDelay(2, p, () => 0)).toBe(200);
  });
  it('retries network failures only', () => {
    expect(isRetryableConnectError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', level: 'client-socket' }))).toBe(true);
    expect(isRetryableConnectError(Object.assign(new Error('Timed out while waiting for handshake'), { level: 'client-timeout' }))).toBe(true);
    expect(isRetryableConnectError(Object.assign(new Error('All configured authentication methods failed'), { level: 'client-authentication' }))).toBe(false);
    expect(isRetryableConnectError(new Error('Host denied (verification failed)'))).toBe(false);
    expect(isRetryableConnectError(Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' }))).toBe(false);
  });
});

describe('ssh helpers', () => {
  it('parses jump host strings', () => {
    expect(parseJumpHost('admin@bastion:2222')).toEqual({ host: 'bastion', user: 'admin', port: 2222 });
    expect(parseJumpHost('bastion')).toEqual({ host: 'bastion' });
    expect(parseJumpHost('ops@[fd00::1]:22')).toEqual({ host: 'fd00::1', user: 'ops', port: 22 });
    expect(() => parseJumpHost('a@b:c:d')).toThrow(/jump host/);
  });
  it('asks for recorded host key types first', () => {
    expect(orderHostKeyAlgorithms(['ssh-rsa']).slice(0, 3)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(orderHostKeyAlgorithms(['ecdsa-sha2-nistp256'])[0]).toBe('ecdsa-sha2-nistp256');
    expect(orderHostKeyAlgorithms([])[0]).toBe('ssh-ed25519');
  });
});
