import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendLine } from '../../src/fs/append-line.js';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-append-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('appendLine', () => {
  it('adds the missing final newline of a hand-edited file before its line, and numbers its line', async () => {
    const file = join(dir, 'known_hosts');
    writeFileSync(file, 'h0 key');
    expect(await appendLine(file, 'h1 key')).toBe(2);
    expect(readFileSync(file, 'utf8')).toBe('h0 key\nh1 key\n');
  });

  it('puts no blank line before its own when another appender is half way through a line that crosses pages', async () => {
    // A write(2) crossing a page boundary is visible half done to fstat and pread: the file seems
    // to end mid-line. Lines of three pages make every write of one appender cross two boundaries.
    const long = (i: number) => `b${i} ${'x'.repeat(3 * 4096)}`;
    for (let round = 0; round < 20; round++) {
      const file = join(dir, `f${round}`);
      const appender = async (line: (i: number) => string) => {
        for (let i = 0; i < 20; i++) await appendLine(file, line(i));
      };
      await Promise.all([appender((i) => `a${i} key`), appender(long)]);
      const lines = readFileSync(file, 'utf8').split('\n');
      expect(lines.pop()).toBe('');
      expect(lines.filter((l) => l === '')).toEqual([]);
      expect(lines).toHaveLength(40);
    }
  });
});
