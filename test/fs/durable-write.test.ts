import { jest } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as realFs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// fsync cannot be seen from outside without strace: the calls that place a file (rename, link, an
// exclusive create) and every fsync are recorded here, by path, around the real ones.
const calls: string[] = [];
let linkRefused = false;
let directorySyncRefused = false;
jest.unstable_mockModule('node:fs/promises', () => ({
  ...realFs,
  rename: async (from: string, to: string) => {
    await realFs.rename(from, to);
    calls.push(`rename ${to}`);
  },
  link: async (from: string, to: string) => {
    if (linkRefused) throw Object.assign(new Error(`EPERM: operation not permitted, link '${to}'`), { code: 'EPERM' });
    await realFs.link(from, to);
    calls.push(`link ${to}`);
  },
  open: async (path: string, flags?: string, mode?: number) => {
    const handle = await realFs.open(path, flags, mode);
    if (flags === 'wx' && !path.endsWith('.tmp')) calls.push(`create ${path}`);
    const sync = handle.sync.bind(handle);
    handle.sync = async () => {
      if (directorySyncRefused && (await handle.stat()).isDirectory()) throw Object.assign(new Error('EINVAL: invalid argument, fsync'), { code: 'EINVAL' });
      await sync();
      calls.push(`fsync ${path}`);
    };
    return handle;
  },
}));
const { writeFileAtomic } = await import('../../src/fs/atomic-write.js');
const { createFileOnce } = await import('../../src/fs/create-once.js');
const { writeState: writeLabState } = await import('../../src/lab/state.js');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-durable-'));
  calls.length = 0;
  linkRefused = false;
  directorySyncRefused = false;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** What happened from the file's placing on. */
const fromPlacing = () => calls.slice(calls.findIndex((c) => /^(rename|link|create) /.test(c)));

describe('a file placed by gridops survives a power loss: its directory is fsync\'d after the rename or link', () => {
  it('writeFileAtomic (the state, a saved plan)', async () => {
    const file = join(dir, 'g.state.json');
    await writeFileAtomic(file, '{}\n', 0o600);
    expect(readFileSync(file, 'utf8')).toBe('{}\n');
    expect(fromPlacing()).toEqual([`rename ${file}`, `fsync ${dir}`]);
  });

  it("the lab's lab.json (lab/state.ts writeState)", async () => {
    const file = join(dir, 'lab.json');
    await writeLabState({ files: { state: file } } as Parameters<typeof writeLabState>[0]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ files: { state: file } });
    expect(fromPlacing()).toEqual([`rename ${file}`, `fsync ${dir}`]);
  });

  it('createFileOnce (the grid key), by link', async () => {
    const file = join(dir, 'g.key');
    expect(await createFileOnce(file, 'k\n')).toBe(true);
    expect(fromPlacing()).toEqual([`link ${file}`, `fsync ${dir}`]);
  });

  it('createFileOnce where the file system has no hard links, by an exclusive create', async () => {
    linkRefused = true;
    const file = join(dir, 'g.key');
    expect(await createFileOnce(file, 'k\n')).toBe(true);
    expect(fromPlacing()).toEqual([`create ${file}`, `fsync ${file}`, `fsync ${dir}`]);
  });

  it('a key already there is not created, and nothing is synced for it', async () => {
    const file = join(dir, 'g.key');
    await createFileOnce(file, 'first\n');
    calls.length = 0;
    expect(await createFileOnce(file, 'second\n')).toBe(false);
    expect(calls.filter((c) => c === `fsync ${dir}`)).toEqual([]);
  });

  it('a file system that cannot fsync a directory (EINVAL) still gets the write', async () => {
    directorySyncRefused = true;
    const file = join(dir, 'g.state.json');
    await writeFileAtomic(file, '{}\n', 0o600);
    expect(readFileSync(file, 'utf8')).toBe('{}\n');
  });
});
