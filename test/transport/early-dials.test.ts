/**
 * EarlyDials against a real TCP listener on loopback: what a handshake takes, what it never gets.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { EarlyDials } from '../../src/transport/early-dials.js';

describe('EarlyDials', () => {
  let server: Server;
  let port: number;
  const accepted: Socket[] = [];

  beforeEach(async () => {
    accepted.length = 0;
    server = createServer((s) => {
      accepted.push(s);
      s.write('SSH-2.0-banner\r\n');
      s.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  afterEach(async () => {
    for (const s of accepted) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('hands out the dialled socket once, with what the server sent already waiting in it', async () => {
    const early = new EarlyDials();
    early.dial('127.0.0.1', port);
    early.dial('127.0.0.1', port); // a second dial of the same host and port opens nothing more
    await sleep(100);
    expect(accepted).toHaveLength(1);
    const socket = early.take('127.0.0.1', port)!;
    expect(socket).toBeDefined();
    expect(socket.connecting).toBe(false);
    const first = await new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString())));
    expect(first).toBe('SSH-2.0-banner\r\n');
    expect(early.take('127.0.0.1', port)).toBeUndefined();
    expect(early.waiting).toBe(0);
    socket.destroy();
  });

  it('a socket taken while still connecting is handed out as it is (ssh2 waits for its connect)', () => {
    const early = new EarlyDials();
    early.dial('127.0.0.1', port);
    const socket = early.take('127.0.0.1', port)!;
    expect(socket.connecting).toBe(true);
    socket.destroy();
  });

  it('nothing for a host and port it never dialled', () => {
    const early = new EarlyDials();
    early.dial('127.0.0.1', port);
    expect(early.take('127.0.0.1', port + 1 > 65535 ? 1 : port + 1)).toBeUndefined();
    expect(early.take('127.0.0.2', port)).toBeUndefined();
    early.closeAll();
  });

  it('a refused dial is never handed out, and its error does not escape', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const early = new EarlyDials();
    early.dial('127.0.0.1', deadPort);
    await sleep(100);
    expect(early.take('127.0.0.1', deadPort)).toBeUndefined();
  });

  // (One the server ended gracefully is handed out: ssh2 reads what was sent, sees the end, and
  // reports "Connection lost before handshake", which the handshake retries on a fresh dial.)
  it('a connection the server reset before the take is never handed out', async () => {
    const early = new EarlyDials();
    early.dial('127.0.0.1', port);
    await sleep(100);
    accepted[0]!.resetAndDestroy();
    await sleep(100);
    expect(early.take('127.0.0.1', port)).toBeUndefined();
  });

  it('dialFirst dials the hosts a fan-out starts first, and none reached through a jump host', async () => {
    // The same port on three more loopback addresses: which address was dialled is which listener saw it.
    const seen: string[] = [];
    const others = await Promise.all(
      ['127.0.0.2', '127.0.0.3', '127.0.0.4'].map(
        (address) =>
          new Promise<Server>((resolve) => {
            const s = createServer((c) => {
              seen.push(address);
              accepted.push(c);
            });
            s.listen(port, address, () => resolve(s));
          }),
      ),
    );
    try {
      const early = new EarlyDials();
      await early.dialFirst(
        [
          { host: '127.0.0.1', port, jumpHost: 'admin@bastion:22' },
          { host: '127.0.0.2', port },
          { host: '127.0.0.3', port },
          { host: '127.0.0.4', port },
        ],
        3,
      );
      await sleep(100);
      expect(seen.sort()).toEqual(['127.0.0.2', '127.0.0.3']);
      expect(accepted).toHaveLength(2); // not 127.0.0.1 (behind a jump host), not 127.0.0.4 (the fourth)
      expect(early.waiting).toBe(2);
      expect(early.take('127.0.0.1', port)).toBeUndefined();
      expect(early.take('127.0.0.4', port)).toBeUndefined();
      early.closeAll();
    } finally {
      for (const c of accepted) c.destroy();
      await Promise.all(others.map((o) => new Promise((resolve) => o.close(resolve))));
    }
  });

  it('closeAll closes the sockets no one took: the server sees them end', async () => {
    const early = new EarlyDials();
    early.dial('127.0.0.1', port);
    await sleep(100);
    const ended = new Promise<void>((resolve) => accepted[0]!.once('close', () => resolve()));
    early.closeAll();
    await ended;
    expect(early.waiting).toBe(0);
  });

  // The dials exist so that hosts start their side while the caller loads ssh2 (synchronous work).
  // A host in a process of its own accepts whenever the kernel has the connection: here, only if
  // the connect was made before the caller's busy spell, which stands in for that load.
  it('dialFirst resolves once the connects are made: a host accepts while the caller is busy after it', async () => {
    const host = spawn(process.execPath, ['-e', "require('net').createServer((c) => { process.stdout.write(Date.now() + '\\n'); c.destroy(); }).listen(0, '127.0.0.1', function () { process.stdout.write('port ' + this.address().port + '\\n'); })"], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let out = '';
      host.stdout.on('data', (d: Buffer) => (out += d.toString()));
      while (!/port \d+\n/.test(out)) await once(host.stdout, 'data');
      const hostPort = Number(/port (\d+)/.exec(out)![1]);
      const early = new EarlyDials();
      await early.dialFirst([{ host: '127.0.0.1', port: hostPort }], 1);
      const busyFrom = Date.now();
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 400);
      const busyUntil = Date.now();
      while (!/^\d+$/m.test(out)) await once(host.stdout, 'data');
      const acceptedAt = Number(/^(\d+)$/m.exec(out)![1]);
      expect(acceptedAt).toBeLessThan(busyUntil);
      expect(acceptedAt).toBeGreaterThanOrEqual(busyFrom - 1000);
      early.closeAll();
    } finally {
      host.kill();
    }
  });
});
