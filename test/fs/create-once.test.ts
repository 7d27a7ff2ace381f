import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileOnce } from '../../src/fs/create-once.js';
import { loadOrCreateGridKey } from '../../src/secrets/grid-key.js';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-once-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('createFileOnce', () => {
  it('creates the file with its mode, and leaves no temp file behind', async () => {
    const file = join(dir, 'sub', 'k');
    expect(await createFileOnce(file, 'one\n', 0o600)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('one\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(dir, 'sub'))).toEqual(['k']);
  });

  it('never replaces what is there: of many writers at once exactly one wins, and every other sees its content', async () => {
    const file = join(dir, 'k');
    const won = await Promise.all(Array.from({ length: 20 }, (_, i) => createFileOnce(file, `writer ${i}\n`)));
    expect(won.filter(Boolean)).toHaveLength(1);
    expect(readFileSync(file, 'utf8')).toBe(`writer ${won.indexOf(true)}\n`);
    expect(readdirSync(dir)).toEqual(['k']);
    writeFileSync(join(dir, 'mine'), 'kept\n');
    expect(await createFileOnce(join(dir, 'mine'), 'other\n')).toBe(false);
    expect(readFileSync(join(dir, 'mine'), 'utf8')).toBe('kept\n');
  });

  it('two first runs at once get one grid key, and only one says it created it', async () => {
    const file = join(dir, 'g.key');
    const keys = await Promise.all([loadOrCreateGridKey(file), loadOrCreateGridKey(file), loadOrCreateGridKey(file)]);
    expect(new Set(keys.map((k) => k.bytes.toString())).size).toBe(1);
    expect(keys.filter((k) => k.created)).toHaveLength(1);
    expect(keys[0]!.bytes.toString()).toBe(readFileSync(file, 'utf8'));
  });
});
