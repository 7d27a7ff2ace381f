import { chmodSync, chownSync, copyFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkTopologyFile } from '../../src/topology/load.js';
import { keepTopology } from '../../src/topology/validated-cache.js';

// bin/run.js stamps the running bundle; the sources under test have none unless a test sets one.
const BUILD = Symbol.for('gridops.build');
const globals = globalThis as Record<symbol, unknown>;
const asRoot = process.getuid?.() === 0;

let dir: string;
let cache: string;
const savedXdg = process.env.XDG_CACHE_HOME;
const savedOwn = process.env.GRIDOPS_CACHE_DIR;
beforeEach(() => {
  delete process.env.GRIDOPS_CACHE_DIR;
  dir = mkdtempSync(join(tmpdir(), 'gridops-vcache-'));
  process.env.XDG_CACHE_HOME = join(dir, 'cache');
  cache = join(dir, 'cache', 'gridops', 'topology');
  globals[BUILD] = 'build-one|/opt/gridops/dist/cli/gridops.cjs';
});
afterEach(() => {
  if (savedOwn !== undefined) process.env.GRIDOPS_CACHE_DIR = savedOwn;
  delete globals[BUILD];
  if (savedXdg === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = savedXdg;
  rmSync(dir, { recursive: true, force: true });
});

/** The one entry the cache holds. */
async function entryWritten(): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const files = (() => {
      try {
        return readdirSync(cache).filter((f) => f.endsWith('.json'));
      } catch {
        return [];
      }
    })();
    if (files.length === 1) return join(cache, files[0]!);
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no cache entry was written');
}

/** The entry with its grid renamed, key kept: what a run returns from it shows whether it was used. */
function tamper(entry: string, name: string): void {
  const parsed = JSON.parse(readFileSync(entry, 'utf8'));
  parsed.grid.name = name;
  writeFileSync(entry, JSON.stringify(parsed), { mode: 0o600 });
}

function topology(): string {
  const file = join(dir, 'grid.yaml');
  copyFileSync('examples/large.yaml', file);
  return file;
}

describe('the validated-topology cache', () => {
  it('keeps what a validation returned, exactly, and gives it back for the same bytes and build', async () => {
    const file = topology();
    const fresh = await checkTopologyFile(file, { cached: true });
    expect(fresh.problems).toEqual([]);
    const entry = await entryWritten();
    expect(statSync(entry).mode & 0o777).toBe(0o600);
    expect(statSync(cache).mode & 0o777).toBe(0o700);
    const again = await checkTopologyFile(file, { cached: true });
    // The JSON round trip loses nothing a run reads: no undefined field, no NaN, no class instance.
    // (Not toStrictEqual: resolve's structuredClone makes objects of the test runner's other realm.)
    expect(again).toEqual(fresh);
    expect(JSON.stringify(again.grid) === JSON.stringify(fresh.grid)).toBe(true);
    tamper(entry, 'from-the-cache');
    expect((await checkTopologyFile(file, { cached: true })).grid!.name).toBe('from-the-cache');
  });

  it('is not used for other bytes, another build, or by a check that does not ask for it', async () => {
    const file = topology();
    await checkTopologyFile(file, { cached: true });
    const entry = await entryWritten();
    tamper(entry, 'from-the-cache');
    expect((await checkTopologyFile(file)).grid!.name).not.toBe('from-the-cache');
    expect((await checkTopologyFile(file, { cached: true })).grid!.name).toBe('from-the-cache');
    // Another build validates in full, and its entry replaces this path's.
    globals[BUILD] = 'build-two|/opt/gridops/dist/cli/gridops.cjs';
    expect((await checkTopologyFile(file, { cached: true })).grid!.name).not.toBe('from-the-cache');
    tamper(entry, 'from-the-cache');
    expect((await checkTopologyFile(file, { cached: true })).grid!.name).toBe('from-the-cache');
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n# a comment changes the bytes\n`);
    const changed = await checkTopologyFile(file, { cached: true });
    expect(changed.grid!.name).not.toBe('from-the-cache');
    expect(changed.problems).toEqual([]);
  });

  it("a byte order mark added keeps the text but not the bytes: the grid's sourceHash is of the new bytes", async () => {
    const file = topology();
    const plain = await checkTopologyFile(file, { cached: true });
    await entryWritten();
    writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), readFileSync(file)]));
    expect((await checkTopologyFile(file, { cached: true })).grid!.sourceHash).not.toBe(plain.grid!.sourceHash);
  });

  it('trusts no entry in a directory or file others may write, nor a torn one', async () => {
    const file = topology();
    await checkTopologyFile(file, { cached: true });
    const entry = await entryWritten();
    tamper(entry, 'from-the-cache');
    chmodSync(cache, 0o777);
    expect((await checkTopologyFile(file, { cached: true })).grid!.name).not.toBe('from-the-cache');
    chmodSync(cache, 0o700);
    chmodSync(entry, 0o666);
    expect((await checkTopologyFile(file, { cached: true })).grid!.name).not.toBe('from-the-cache');
    chmodSync(entry, 0o600);
    writeFileSync(entry, readFileSync(entry, 'utf8').slice(0, 100));
    const torn = await checkTopologyFile(file, { cached: true });
    expect(torn.problems).toEqual([]);
    expect(torn.grid!.regions.length).toBeGreaterThan(0);
  });

  it('follows no link to an entry, nor trusts a directory above that others may write', async () => {
    const file = topology();
    await checkTopologyFile(file, { cached: true });
    const entry = await entryWritten();
    tamper(entry, 'from-the-cache');
    expect((await checkTopologyFile(file, { cached: true })).grid!.name).toBe('from-the-cache');
    // The entry as a link to a copy elsewhere: not followed.
    const elsewhere = join(dir, 'elsewhere.json');
    renameSync(entry, elsewhere);
    symlinkSync(elsewhere, entry);
    expect((await checkTopologyFile(file, { cached: true })).grid!.name).not.toBe('from-the-cache');
    // The miss wrote a fresh entry in the link's place.
    expect(lstatSync(entry).isFile()).toBe(true);
    tamper(entry, 'from-the-cache');
    expect((await checkTopologyFile(file, { cached: true })).grid!.name).toBe('from-the-cache');
    chmodSync(join(dir, 'cache'), 0o777);
    expect((await checkTopologyFile(file, { cached: true })).grid!.name).not.toBe('from-the-cache');
  });

  // Giving the entry to another user takes root (chown).
  (asRoot ? it : it.skip)('trusts no entry of another user, and writes one of its own in its place', async () => {
    const file = topology();
    await checkTopologyFile(file, { cached: true });
    const entry = await entryWritten();
    tamper(entry, 'from-the-cache');
    chownSync(entry, 65534, 65534);
    expect((await checkTopologyFile(file, { cached: true })).grid!.name).not.toBe('from-the-cache');
    expect(statSync(entry).uid).toBe(process.getuid!());
    tamper(entry, 'from-the-cache');
    expect((await checkTopologyFile(file, { cached: true })).grid!.name).toBe('from-the-cache');
  });

  it('has no cache without an absolute home, and a cache it cannot write never fails the check', async () => {
    const savedHome = process.env.HOME;
    try {
      delete process.env.XDG_CACHE_HOME;
      process.env.HOME = '';
      const checked = await checkTopologyFile(topology(), { cached: true });
      expect(checked.problems).toEqual([]);
      expect(() => readdirSync('.cache/gridops')).toThrow(/ENOENT/);
    } finally {
      process.env.HOME = savedHome;
    }
    writeFileSync(join(dir, 'a-file'), '');
    process.env.XDG_CACHE_HOME = join(dir, 'a-file', 'cache');
    expect(() => keepTopology(topology(), 'text', { grid: { regions: [] } as never, warnings: [] })).not.toThrow();
    expect((await checkTopologyFile(topology(), { cached: true })).problems).toEqual([]);
  });

  it("lives under $GRIDOPS_CACHE_DIR where that is set, as the lab's images do", async () => {
    const saved = process.env.GRIDOPS_CACHE_DIR;
    try {
      process.env.GRIDOPS_CACHE_DIR = join(dir, 'own');
      await checkTopologyFile(topology(), { cached: true });
      expect(readdirSync(join(dir, 'own', 'topology')).filter((f) => f.endsWith('.json'))).toHaveLength(1);
      expect(() => readdirSync(cache)).toThrow(/ENOENT/);
    } finally {
      if (saved === undefined) delete process.env.GRIDOPS_CACHE_DIR;
      else process.env.GRIDOPS_CACHE_DIR = saved;
    }
  });

  it('keeps at most 32 entries, the newest', async () => {
    mkdirSync(cache, { recursive: true, mode: 0o700 });
    for (let i = 0; i < 40; i++) keepTopology(join(dir, `t${i}.yaml`), `text ${i}`, { grid: { regions: [] } as never, warnings: [] });
    expect(readdirSync(cache).filter((f) => f.endsWith('.json'))).toHaveLength(32);
  });

  it('keeps nothing for a file with problems, and nothing outside the bundled CLI', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: x }\nregions: []\n');
    expect((await checkTopologyFile(bad, { cached: true })).problems.length).toBeGreaterThan(0);
    delete globals[BUILD];
    expect((await checkTopologyFile(topology(), { cached: true })).problems).toEqual([]);
    await new Promise((r) => setTimeout(r, 100));
    expect(() => readdirSync(cache)).toThrow(/ENOENT/);
  });
});
