import { EventEmitter } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { jest } from '@jest/globals';
import { TcpIntake, type IntakeDrop } from '../../src/agent/runtime/tcp-intake.js';

// Real sockets on loopback: on a loaded 2-core machine (load 35) one case took longer than jest's 5 s default.
jest.setTimeout(30_000);

/** A loopback server whose connections go through the intake; the test ends every socket it opens. */
async function serve(limits: Partial<ConstructorParameters<typeof TcpIntake>[0]> = {}) {
  const frames: Buffer[] = [];
  const drops: IntakeDrop[] = [];
  const intake = new TcpIntake(
    { maxFrameBytes: 4 * 1024 * 1024, maxConnections: 8, maxConnectionsPerPeer: 8, memoryBudgetBytes: 6 * 1024 * 1024, memoryBudgetPerPeerBytes: 6 * 1024 * 1024, frameTimeoutMs: 500, idleTimeoutMs: 2_000, ...limits },
    (f) => frames.push(f),
    (r) => drops.push(r),
  );
  const server: Server = createServer((s) => intake.accept(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const clients: Socket[] = [];
  /** `from`: the client's source address (another 127.x address is another peer). */
  const open = async (from?: string) => {
    const c = connect({ host: '127.0.0.1', port, ...(from ? { localAddress: from } : {}) });
    c.on('error', () => undefined);
    clients.push(c);
    await new Promise<void>((resolve) => c.once('connect', () => resolve()));
    return c;
  };
  const close = async () => {
    for (const c of clients) c.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { intake, frames, drops, open, close };
}

const frame = (body: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, 0].map((_, i) => (body.length >>> (24 - 8 * i)) & 0xff)), body]);
const settle = (ms = 150) => new Promise((r) => setTimeout(r, ms));
/** Waits until `check` holds (bounded), so the test does not depend on the machine's load. */
async function eventually(check: () => boolean, ms = 10_000): Promise<void> {
  for (const deadline = Date.now() + ms; !check() && Date.now() < deadline; ) await settle(20);
}

describe('TCP intake: unauthenticated input costs bounded memory', () => {
  it('cuts frames out of a stream, across chunks and several per chunk', async () => {
    const s = await serve();
    try {
      const c = await s.open();
      const a = frame(Buffer.from('first'));
      const b = frame(Buffer.alloc(70_000, 7));
      c.write(Buffer.concat([a, b.subarray(0, 3)]));
      await settle(50);
      c.write(b.subarray(3));
      await eventually(() => s.frames.length === 2);
      expect(s.frames.map((f) => f.length)).toEqual([5, 70_000]);
      expect(s.intake.stats().bufferedBytes).toBe(0);
    } finally {
      await s.close();
    }
  });

  it('16 connections announcing 4 MiB frames hold at most the budget, and release it when they close', async () => {
    const s = await serve({ maxConnections: 32, maxConnectionsPerPeer: 32 });
    try {
      const conns = await Promise.all(Array.from({ length: 16 }, () => s.open()));
      const junk = Buffer.alloc(1024 * 1024, 1);
      for (const c of conns) c.write(Buffer.concat([Buffer.from([0, 0x40, 0, 0]), junk]));
      // At most 6 of the 16 fit in the budget; the rest are cut for it, or (on a loaded machine,
      // where a 1 MiB write can take longer than the 500 ms frame deadline) for being slow.
      const cut = () => s.drops.filter((d) => d === 'tcpMemoryBudget' || d === 'tcpSlowFrame').length;
      await eventually(() => cut() >= 10);
      expect(s.intake.stats().bufferedBytes).toBeLessThanOrEqual(6 * 1024 * 1024);
      expect(cut()).toBeGreaterThanOrEqual(10);
      expect(s.drops).toContain('tcpMemoryBudget');
      for (const c of conns) c.destroy();
      await eventually(() => s.intake.stats().connections === 0);
      expect(s.intake.stats()).toEqual({ connections: 0, bufferedBytes: 0 });
    } finally {
      await s.close();
    }
  });

  it('bounds connections in total and per peer, and counts each refusal', async () => {
    const s = await serve({ maxConnections: 5, maxConnectionsPerPeer: 3 });
    try {
      for (let i = 0; i < 8; i++) await s.open();
      await eventually(() => s.drops.length === 5);
      expect(s.intake.stats().connections).toBe(3);
      expect(s.drops.filter((d) => d === 'tcpPeerLimit')).toHaveLength(5);
    } finally {
      await s.close();
    }
  });

  it('an announced frame above the limit closes the connection at once', async () => {
    const s = await serve({ maxFrameBytes: 1024 });
    try {
      const c = await s.open();
      c.write(Buffer.from([0, 0, 8, 0, 1, 2, 3]));
      await eventually(() => s.drops.length === 1 && s.intake.stats().connections === 0);
      expect(s.drops).toEqual(['oversized']);
      expect(s.intake.stats()).toEqual({ connections: 0, bufferedBytes: 0 });
    } finally {
      await s.close();
    }
  });

  it('a frame that does not arrive whole in time is dropped (a slow sender cannot pin memory)', async () => {
    const s = await serve({ frameTimeoutMs: 200 });
    try {
      const c = await s.open();
      c.write(Buffer.from([0, 0, 1, 0, 1, 2, 3]));
      await eventually(() => s.drops.length === 1);
      expect(s.drops).toEqual(['tcpSlowFrame']);
      expect(s.intake.stats().bufferedBytes).toBe(0);
    } finally {
      await s.close();
    }
  });

  it('one peer address holds at most its share of the budget; another peer still gets its frames through', async () => {
    // The hog's 4 connections of 1 MiB would fill this budget whole, but for its share.
    const s = await serve({ maxConnections: 16, maxConnectionsPerPeer: 8, memoryBudgetBytes: 4.5 * 1024 * 1024, memoryBudgetPerPeerBytes: 2 * 1024 * 1024 });
    try {
      const hog = await Promise.all(Array.from({ length: 4 }, () => s.open('127.0.0.2')));
      const junk = Buffer.alloc(1024 * 1024, 1);
      for (const c of hog) c.write(Buffer.concat([Buffer.from([0, 0x40, 0, 0]), junk]));
      await eventually(() => s.drops.filter((d) => d === 'tcpPeerMemoryBudget').length >= 2);
      expect(s.intake.stats().bufferedBytes).toBeLessThanOrEqual(2 * 1024 * 1024);
      expect(s.drops.filter((d) => d === 'tcpPeerMemoryBudget').length).toBeGreaterThanOrEqual(2);
      const other = await s.open('127.0.0.1');
      other.write(frame(Buffer.alloc(1.5 * 1024 * 1024, 2)));
      await eventually(() => s.frames.length === 1);
      expect(s.frames.map((f) => f.length)).toEqual([1.5 * 1024 * 1024]);
      expect(s.drops).not.toContain('tcpMemoryBudget');
    } finally {
      await s.close();
    }
  });

  it("a frame's chunks are joined once it is whole, not at every chunk", () => {
    const frames: Buffer[] = [];
    const intake = new TcpIntake(
      { maxFrameBytes: 4 * 1024 * 1024, maxConnections: 8, maxConnectionsPerPeer: 8, memoryBudgetBytes: 16 * 1024 * 1024, memoryBudgetPerPeerBytes: 16 * 1024 * 1024, frameTimeoutMs: 5_000, idleTimeoutMs: 10_000 },
      (f) => frames.push(f),
      () => undefined,
    );
    // A socket that delivers what the test gives it, in the segments the test chooses.
    const socket = Object.assign(new EventEmitter(), { remoteAddress: '10.0.0.9', destroyed: false, setTimeout: () => undefined, destroy: () => undefined });
    intake.accept(socket as unknown as Socket);
    const body = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = i % 251;
    const wire = Buffer.concat([frame(body), frame(Buffer.from('next'))]);
    const concat = jest.spyOn(Buffer, 'concat');
    try {
      // 1460-byte segments, the first of which splits the length prefix.
      socket.emit('data', wire.subarray(0, 2));
      for (let at = 2; at < wire.length; at += 1460) socket.emit('data', wire.subarray(at, Math.min(wire.length, at + 1460)));
      expect(concat.mock.calls.length).toBeLessThanOrEqual(3);
    } finally {
      concat.mockRestore();
    }
    expect(frames.map((f) => f.length)).toEqual([body.length, 4]);
    expect(frames[0]!.equals(body)).toBe(true);
    expect(intake.stats().bufferedBytes).toBe(0);
  });
});
