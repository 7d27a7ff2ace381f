/**
 * The keeper's and its client's line reader (line-splitter.ts): lines split across chunks come out
 * whole, and a line past the bound is reported once, with its start (where the request's id is),
 * the moment it crosses the bound: its rest is dropped, never buffered.
 */
import { LineSplitter } from '../../src/transport/line-splitter.js';

function splitter(maxChars: number) {
  const lines: string[] = [];
  const tooLong: string[] = [];
  const s = new LineSplitter(maxChars, (line) => lines.push(line), (head) => tooLong.push(head));
  return { s, lines, tooLong };
}

describe('LineSplitter', () => {
  it('gives whole lines, however the chunks cut them, and skips empty ones', () => {
    const { s, lines } = splitter(100);
    s.push('{"id":1');
    s.push(',"op":"x"}\n\n{"id":2}\n{"id"');
    expect(lines).toEqual(['{"id":1,"op":"x"}', '{"id":2}']);
    s.push(':3}\n');
    expect(lines).toEqual(['{"id":1,"op":"x"}', '{"id":2}', '{"id":3}']);
  });

  it('reports a line past its bound as soon as it crosses it, drops its rest, and goes on with the next line', () => {
    const { s, lines, tooLong } = splitter(80);
    s.push(`{"id":7,"op":"upload","content":"${'a'.repeat(30)}`);
    expect(tooLong).toEqual([]);
    s.push('a'.repeat(30));
    // Before the line's end came: the sender is answered at once, not when it is done sending.
    expect(tooLong).toHaveLength(1);
    expect(tooLong[0]).toMatch(/^\{"id":7,"op":"upload"/);
    s.push('a'.repeat(1000));
    s.push('"}\n{"id":8}\n');
    expect(tooLong).toHaveLength(1);
    expect(lines).toEqual(['{"id":8}']);
  });

  it('a line exactly at the bound is whole', () => {
    const { s, lines, tooLong } = splitter(5);
    s.push('ab');
    s.push('cde\nabcdef\nxy\n');
    expect(lines).toEqual(['abcde', 'xy']);
    expect(tooLong).toEqual(['abcdef']);
  });

  it('splits a 50 MiB stream of small lines in linear time (the old reader re-scanned its whole buffer each chunk)', () => {
    const { s, lines } = splitter(16 * 2 ** 20);
    const line = `${'x'.repeat(1023)}\n`;
    const chunk = line.repeat(64); // 64 KiB, as a socket delivers
    const started = performance.now();
    for (let i = 0; i < 800; i++) s.push(chunk);
    expect(lines).toHaveLength(800 * 64);
    // One big line in 64 KiB chunks, as a 50 MiB upload's JSON line used to come.
    const { s: big, lines: bigLines } = splitter(64 * 2 ** 20);
    const piece = 'y'.repeat(64 * 1024);
    for (let i = 0; i < 800; i++) big.push(piece);
    big.push('\n');
    expect(bigLines[0]).toHaveLength(800 * 64 * 1024);
    expect(performance.now() - started).toBeLessThan(3000);
  });
});
