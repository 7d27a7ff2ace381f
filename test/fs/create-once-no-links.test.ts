import { jest } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as realFs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A file system without hard links (some FUSE, SMB or FAT mounts): link(2) fails with EPERM. The
// kernel here has none of those built in, so link alone is replaced; every other call is the real one.
const refusals: string[] = [];
jest.unstable_mockModule('node:fs/promises', () => ({
  ...realFs,
  link: async (_from: string, to: string) => {
    refusals.push(to);
    throw Object.assign(new Error(`EPERM: operation not permitted, link '${to}'`), { code: 'EPERM' });
  },
}));
const { createFileOnce } = await import('../../src/fs/create-once.js');

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-once-nolink-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('createFileOnce where the file system has no hard links', () => {
  it('creates the file by an exclusive create, with its mode, and leaves no temp file behind', async () => {
    const file = join(dir, 'k');
    expect(await createFileOnce(file, 'one\n', 0o600)).toBe(true);
    expect(refusals).toContain(file);
    expect(readFileSync(file, 'utf8')).toBe('one\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['k']);
  });

  it('still never replaces what is there, and of many writers at once exactly one wins', async () => {
    writeFileSync(join(dir, 'mine'), 'kept\n');
    expect(await createFileOnce(join(dir, 'mine'), 'other\n')).toBe(false);
    expect(readFileSync(join(dir, 'mine'), 'utf8')).toBe('kept\n');
    const file = join(dir, 'k');
    const won = await Promise.all(Array.from({ length: 20 }, (_, i) => createFileOnce(file, `writer ${i}\n`)));
    expect(won.filter(Boolean)).toHaveLength(1);
    expect(readFileSync(file, 'utf8')).toBe(`writer ${won.indexOf(true)}\n`);
    expect(readdirSync(dir).sort()).toEqual(['k', 'mine']);
  });
});
