/**
 * EarlyDials against a real TCP listener on loopback: what a handshake takes, what it never gets.
 */
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

  // The dials exist so that hosts start their side while the caller loads ssh2 (synchronous work
  // that follows dialFirst). A socket has its local address once its connect() reached the kernel:
  // not yet right after the dial (Node defers it to a tick), and by the time dialFirst resolves.
  it('dialFirst resolves once the connects are made, before whatever the caller does next', async () => {
    const early = new EarlyDials();
    const asked = new EarlyDials();
    asked.dial('127.0.0.1', port);
    const notYet = asked.take('127.0.0.1', port)!;
    expect(notYet.address()).toEqual({});
    notYet.destroy();
    await early.dialFirst([{ host: '127.0.0.1', port }], 1);
    const socket = early.take('127.0.0.1', port)!;
    expect(socket.address()).toMatchObject({ address: '127.0.0.1', port: expect.any(Number) });
    socket.destroy();
  });
});
