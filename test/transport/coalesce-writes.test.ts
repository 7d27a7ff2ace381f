import { Duplex } from 'node:stream';
import { coalesceWrites } from '../../src/transport/coalesce-writes.js';

/** A stream that records each hand-over to its "kernel": one entry per write or writev. */
function recordingStream() {
  const handed: string[][] = [];
  const sock = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      handed.push([chunk.toString()]);
      cb();
    },
    writev(chunks, cb) {
      handed.push(chunks.map((c) => Buffer.from(c.chunk as Buffer).toString()));
      cb();
    },
  });
  return { sock, handed };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('coalesceWrites', () => {
  it('hands the writes of one tick over together, in order, and each later tick its own', async () => {
    const { sock, handed } = recordingStream();
    coalesceWrites(sock);
    sock.write('a');
    sock.write('b');
    sock.write('c');
    expect(handed).toEqual([]);
    await tick();
    expect(handed).toEqual([['a', 'b', 'c']]);
    sock.write('d');
    await tick();
    expect(handed).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('without it, each write is handed over on its own (what ssh2 does per packet)', async () => {
    const { sock, handed } = recordingStream();
    sock.write('a');
    sock.write('b');
    await tick();
    expect(handed.length).toBeGreaterThan(1);
  });

  it('keeps write callbacks and the return value', async () => {
    const { sock } = recordingStream();
    coalesceWrites(sock);
    const done: string[] = [];
    expect(sock.write('x', () => done.push('x'))).toBe(true);
    sock.write('y', () => done.push('y'));
    await tick();
    expect(done).toEqual(['x', 'y']);
  });
});
