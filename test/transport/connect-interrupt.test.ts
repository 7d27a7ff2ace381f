/**
 * Ctrl-C (the run's abort signal) ends a connect at once wherever it waits: in a handshake with a
 * host that accepted and says nothing (it used to run to the node's connect timeout, 10 s by
 * default), in a retry's delay, on a jump host's channel to the target, and in the connection
 * keeper (--persist), whose connect the run used to wait out, retries and all. Loopback only.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InterruptedError } from '../../src/errors/index.js';
import { KeeperClient } from '../../src/transport/keeper-client.js';
import { KnownHosts } from '../../src/transport/known-hosts.js';
import type { SshHostSpec } from '../../src/transport/ssh-host-spec.js';
import type { SshSessionOptions } from '../../src/transport/ssh-session-options.js';
import { SshTransport } from '../../src/transport/ssh-transport.js';
import { DEFAULT_GLOBAL_KNOWN_HOSTS } from '../../src/transport/global-known-hosts.js';
import { SilentHosts, eventually, startRecordingKeeper, startSsh2Server, writeKey } from './connect-support.js';
import { freePort } from './sshd-harness.js';

/** How long `connecting` took to settle after `stop` aborted, and with what; 'still waiting' past 3 s. */
async function settleAfterAbort(connecting: Promise<unknown>, stop: AbortController): Promise<{ outcome: unknown; ms: number }> {
  const giveUp = new AbortController();
  const t0 = Date.now();
  stop.abort();
  const outcome = await Promise.race([
    connecting.then(
      () => 'connected',
      (e: unknown) => e,
    ),
    sleep(3000, 'still waiting', { signal: giveUp.signal }).catch(() => 'cancelled'),
  ]);
  giveUp.abort();
  return { outcome, ms: Date.now() - t0 };
}

describe('Ctrl-C during a connect', () => {
  let dir: string;
  let key: ReturnType<typeof writeKey>;
  let hosts: SilentHosts;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-connect-interrupt-'));
    key = writeKey(join(dir, 'id'));
    hosts = await SilentHosts.start(['127.0.0.1']);
  });
  afterAll(async () => {
    await hosts.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const options = (signal: AbortSignal, extra: Partial<SshSessionOptions> = {}): SshSessionOptions => ({ knownHosts: KnownHosts.fromText(''), agentSocket: null, readyTimeoutMs: 10_000, signal, ...extra });

  it('ends a handshake with a host that says nothing at once, and closes its connection', async () => {
    const stop = new AbortController();
    const seen = hosts.seen.get('127.0.0.1')!;
    const before = seen.length;
    const connecting = SshTransport.connect({ name: 'n1', host: '127.0.0.1', port: hosts.port, identityFiles: [key.file] }, options(stop.signal));
    expect(await eventually(() => seen.length > before, 2000)).toBe(true);
    const { outcome, ms } = await settleAfterAbort(connecting, stop);
    expect(outcome).toBeInstanceOf(InterruptedError);
    expect((outcome as Error).message).toBe('n1: interrupted while connecting');
    expect(ms).toBeLessThan(500);
    expect(await eventually(() => seen[before]!.closedAt !== undefined, 1000)).toBe(true);
  });

  it('ends the delay before a retry at once', async () => {
    const closedPort = await freePort();
    const stop = new AbortController();
    let retrying = false;
    const slow = { retries: 3, refusedRetries: 1, unansweredRetries: 0, baseDelayMs: 20_000, maxDelayMs: 20_000 };
    const connecting = SshTransport.connect({ name: 'n1', host: '127.0.0.1', port: closedPort, identityFiles: [key.file] }, options(stop.signal, { retry: slow, onRetry: () => (retrying = true) }));
    expect(await eventually(() => retrying, 2000)).toBe(true);
    const { outcome, ms } = await settleAfterAbort(connecting, stop);
    expect(outcome).toBeInstanceOf(InterruptedError);
    expect(ms).toBeLessThan(500);
  });

  it('ends the wait for a jump host to open its channel to the target', async () => {
    const jumpHost = await startSsh2Server((blob) => blob.equals(key.publicBlob));
    const stop = new AbortController();
    try {
      const spec: SshHostSpec = { name: 'behind', host: '10.0.0.1', port: 22, identityFiles: [key.file], jumpHost: { host: '127.0.0.1', port: jumpHost.port, user: 'root', identityFile: key.file } };
      let logged = '';
      const log = { debug: (_f: object, m: string) => void (logged += `${m}\n`), info: (_f: object, m: string) => void (logged += `${m}\n`), warn: () => undefined };
      const connecting = SshTransport.connect(spec, options(stop.signal, { knownHosts: await KnownHosts.load(join(dir, 'kh-jump')), acceptNewHostKeys: true, logger: log }));
      // The jump connection is up once its host key is recorded; the channel open then waits.
      expect(await eventually(() => logged.includes('recorded new'), 3000)).toBe(true);
      await sleep(200);
      const { outcome, ms } = await settleAfterAbort(connecting, stop);
      expect(outcome).toBeInstanceOf(InterruptedError);
      expect((outcome as Error).message).toBe('behind: interrupted while connecting');
      expect(ms).toBeLessThan(500);
    } finally {
      await jumpHost.stop();
    }
  });

  it('through the keeper (--persist): the run stops waiting for the keeper\'s connect', async () => {
    const keeperDir = mkdtempSync(join(tmpdir(), 'gridops-keeper-'));
    const saved = process.env.GRIDOPS_KEEPER_DIR;
    process.env.GRIDOPS_KEEPER_DIR = keeperDir;
    const knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, '');
    const keeper = await startRecordingKeeper(knownHosts, '', false);
    const client = await KeeperClient.attach({ writable: knownHosts, readOnly: DEFAULT_GLOBAL_KNOWN_HOSTS }, 60_000);
    try {
      const stop = new AbortController();
      const connecting = client.connect({ name: 'n1', host: '127.0.0.1', port: hosts.port }, 10_000, stop.signal);
      expect(await eventually(() => keeper.connects.length === 1, 2000)).toBe(true);
      const { outcome, ms } = await settleAfterAbort(connecting, stop);
      expect(outcome).toBeInstanceOf(InterruptedError);
      expect((outcome as Error).message).toBe('n1: interrupted while connecting');
      expect(ms).toBeLessThan(500);
    } finally {
      client.end();
      await keeper.stop();
      if (saved === undefined) delete process.env.GRIDOPS_KEEPER_DIR;
      else process.env.GRIDOPS_KEEPER_DIR = saved;
      rmSync(keeperDir, { recursive: true, force: true });
    }
  });
});
