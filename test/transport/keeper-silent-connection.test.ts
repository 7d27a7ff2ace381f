/**
 * A kept connection whose host went silent since the last run (powered off, its network cut, its
 * sshd session stopped): the connection still looks open, since nothing closed it. The keeper asks
 * it one keepalive, within the run's connect timeout, before it hands it to a run: a silent one is
 * dropped and the host is connected to afresh, or reported as not reached. Here the host is an
 * in-process ssh2 server behind a TCP relay this test can freeze: a frozen connection carries
 * nothing either way, and so does a new one while the relay is dead.
 */
import { jest } from '@jest/globals';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keeperSocket } from '../../src/transport/keeper-protocol.js';
import { runKeeper } from '../../src/transport/keeper-server.js';
import { formatKnownHostsLine } from '../../src/transport/known-hosts.js';
import { SshTransport } from '../../src/transport/ssh-transport.js';
import { writeKey } from './connect-support.js';
import { dialKeeper, startSleepingHost, until } from './keeper-test-host.js';

/** A TCP relay to `port`: `freeze` stops every connection it carries (they stay open, silent); `dead` makes new ones silent too. */
async function startRelay(port: number): Promise<{ port: number; opened: () => number; freeze: () => void; dead: (on: boolean) => void; stop: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const pairs: Array<[Socket, Socket]> = [];
  let opened = 0;
  let dead = false;
  const server: Server = createServer((inbound) => {
    sockets.add(inbound);
    inbound.on('error', () => undefined);
    inbound.on('close', () => sockets.delete(inbound));
    // A dead host's TCP: nothing answers what the client sends.
    if (dead) return void inbound.pause();
    opened++;
    const outbound = createConnection(port, '127.0.0.1');
    sockets.add(outbound);
    outbound.on('error', () => undefined);
    outbound.on('close', () => {
      sockets.delete(outbound);
      inbound.destroy();
    });
    inbound.on('close', () => outbound.destroy());
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    pairs.push([inbound, outbound]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as { port: number }).port,
    opened: () => opened,
    freeze: () => {
      for (const [a, b] of pairs.splice(0)) {
        a.unpipe(b);
        b.unpipe(a);
        a.pause();
        b.pause();
      }
    },
    dead: (on) => (dead = on),
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('a kept connection whose host went silent', () => {
  let dir: string;
  let host: Awaited<ReturnType<typeof startSleepingHost>>;
  let relay: Awaited<ReturnType<typeof startRelay>>;
  let keyFile: string;
  let knownHostsFile: string;
  let knownHostsLine: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-keeper-silent-'));
    const key = writeKey(join(dir, 'id_ed25519'));
    keyFile = key.file;
    host = await startSleepingHost(key.publicBlob);
  });
  beforeEach(async () => {
    relay = await startRelay(host.port);
    knownHostsFile = join(dir, 'known_hosts');
    knownHostsLine = `${formatKnownHostsLine('127.0.0.1', relay.port, host.hostKey)}\n`;
    writeFileSync(knownHostsFile, knownHostsLine);
  });
  afterEach(async () => {
    await relay.stop();
  });
  afterAll(async () => {
    await host.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  // The keepalive's bound is the request's timeout; the handshake's is the spec's, kept long so that
  // a slow handshake on a busy machine is not retried (a retry would count as one more connection).
  const TIMEOUT_MS = 1000;
  const spec = (handshakeMs = 10_000) => ({ name: 'n1', host: '127.0.0.1', port: relay.port, user: 'root', identityFiles: [keyFile], readyTimeoutMs: handshakeMs });
  const connectRequest = (keepaliveMs = TIMEOUT_MS, handshakeMs = 10_000) => ({ op: 'connect', spec: spec(handshakeMs), readyTimeoutMs: keepaliveMs, persistMs: 0 });

  function startKeeper(): { socket: string; ended: Promise<void> } {
    const knownHosts = [{ file: knownHostsFile, text: knownHostsLine, readOnly: false }];
    const socket = keeperSocket(mkdtempSync(join(dir, 'sock-')), knownHosts);
    return { socket, ended: runKeeper({ socket, knownHosts, idleMs: 0, maxMs: 60_000 }) };
  }

  /**
   * A keeper and a first run that opens the connection and uses it, then stays attached (so the
   * keeper, which ends once idle, outlives the runs a test makes); `done` lets go of it all.
   */
  async function keptConnection(): Promise<{ keeper: { socket: string }; conn: string; done: (...runs: Array<{ socket: { end: () => void } }>) => Promise<void> }> {
    const keeper = startKeeper();
    expect(await until(() => existsSync(keeper.socket), 5000)).toBe(true);
    const holder = await dialKeeper(keeper.socket);
    const first = await holder.ask(connectRequest());
    expect(first).toMatchObject({ ok: true, value: { reused: false } });
    const conn = (first.value as { conn: string }).conn;
    expect(await holder.ask({ op: 'exec', conn, command: 'true' })).toMatchObject({ ok: true, value: { code: 0 } });
    return {
      keeper,
      conn,
      done: async (...runs) => {
        for (const run of [...runs, holder]) run.socket.end();
        await keeper.ended;
      },
    };
  }

  it('a live one is reused, with no new connection', async () => {
    const { keeper, conn, done } = await keptConnection();
    const run = await dialKeeper(keeper.socket);
    const asked = jest.spyOn(SshTransport.prototype, 'stillAnswers');
    try {
      expect(await run.ask(connectRequest(10_000))).toMatchObject({ ok: true, value: { reused: true, conn } });
      expect(asked).toHaveBeenCalledTimes(1);
    } finally {
      asked.mockRestore();
    }
    expect(relay.opened()).toBe(1);
    await done(run);
  }, 20_000);

  it('a silent one is dropped within the connect timeout and the host connected to afresh; the run works on the new one', async () => {
    const { keeper, conn, done } = await keptConnection();
    relay.freeze();
    const run = await dialKeeper(keeper.socket);
    const started = Date.now();
    const again = await run.ask(connectRequest());
    const took = Date.now() - started;
    // Before the keepalive, the keeper handed the silent connection over as reused, and the run's first command hung on it.
    expect(again).toMatchObject({ ok: true, value: { reused: false, conn } });
    expect(took).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(took).toBeLessThan(TIMEOUT_MS + 3000);
    expect(relay.opened()).toBe(2);
    expect(await run.ask({ op: 'exec', conn, command: 'echo again' })).toMatchObject({ ok: true, value: { code: 0, stdout: 'done\n' } });
    await done(run);
  }, 20_000);

  it('two runs asking at once share the keepalive and the new connection', async () => {
    const { keeper, conn, done } = await keptConnection();
    relay.freeze();
    const [a, b] = await Promise.all([dialKeeper(keeper.socket), dialKeeper(keeper.socket)]);
    const asked = jest.spyOn(SshTransport.prototype, 'stillAnswers');
    let answers: Awaited<ReturnType<typeof a.ask>>[];
    try {
      answers = await Promise.all([a.ask(connectRequest()), b.ask(connectRequest())]);
      // One keepalive for both; the connection opened in its place is not asked again.
      expect(asked).toHaveBeenCalledTimes(1);
    } finally {
      asked.mockRestore();
    }
    const [ra, rb] = answers;
    expect([ra, rb]).toEqual([expect.objectContaining({ ok: true }), expect.objectContaining({ ok: true })]);
    expect((ra.value as { conn: string }).conn).toBe(conn);
    expect((rb.value as { conn: string }).conn).toBe(conn);
    // One new connection for both: neither replaced the one the other opened.
    expect(relay.opened()).toBe(2);
    expect(await b.ask({ op: 'exec', conn, command: 'true' })).toMatchObject({ ok: true, value: { code: 0 } });
    await done(a, b);
  }, 20_000);

  it('a host gone altogether is not reached: the connect fails as a direct one would, not hands over the dead connection', async () => {
    const { keeper, done } = await keptConnection();
    relay.freeze();
    relay.dead(true);
    const [run, other] = await Promise.all([dialKeeper(keeper.socket), dialKeeper(keeper.socket)]);
    const connects = jest.spyOn(SshTransport, 'connect');
    try {
      // A dead host's handshake times out (and is retried) on the short bound a run's own connectTimeout would give.
      const [again, otherAgain] = await Promise.all([run.ask(connectRequest(TIMEOUT_MS, TIMEOUT_MS)), other.ask(connectRequest(TIMEOUT_MS, TIMEOUT_MS))]);
      expect(again.ok).toBe(false);
      expect(again.error!.message).toMatch(/timed out|timeout/i);
      // The other run asking at once gets the same answer: the dead host is not tried twice.
      expect(otherAgain).toMatchObject({ ok: false, error: again.error });
      expect(connects).toHaveBeenCalledTimes(1);
    } finally {
      connects.mockRestore();
    }
    expect(relay.opened()).toBe(1);
    other.socket.end();
    await done(run);
  }, 30_000);
});
