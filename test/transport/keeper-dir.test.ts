/**
 * The keepers' socket directory (keeper-dir.ts): a run trusts whatever answers at the socket, so
 * the directory, every directory on the way to it, and the socket itself must be out of other
 * users' reach. Another uid is 65534 (nobody): these tests chown, so they need root.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePrivateDir, ensureOwnKeeperSocket, keeperDirRefusal, MAX_SOCKET_PATH_BYTES } from '../../src/transport/keeper-dir.js';
import { keeperSocket } from '../../src/transport/keeper-protocol.js';
import { Fleet } from '../../src/transport/fleet.js';
import { nodesOf, startRecordingKeeper } from './connect-support.js';

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0 ? describe : describe.skip;

asRoot('the keeper directory', () => {
  let base: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'gridops-keeper-dir-'));
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('a private directory of ours is used (made where missing)', () => {
    expect(() => ensurePrivateDir(join(base, 'a', 'keeper'))).not.toThrow();
  });

  it("is refused when another uid owns it", () => {
    const dir = join(base, 'keeper');
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, NOBODY, NOBODY);
    expect(() => ensurePrivateDir(dir)).toThrow(/keeper.* is owned by uid 65534/);
  });

  it('is refused when it is a symlink, even to a private directory of ours', () => {
    const real = join(base, 'real');
    mkdirSync(real, { mode: 0o700 });
    symlinkSync(real, join(base, 'keeper'));
    expect(() => ensurePrivateDir(join(base, 'keeper'))).toThrow(/is a symlink/);
  });

  it("is refused under a directory another uid owns (root's keeper in the user's $XDG_RUNTIME_DIR under sudo -E)", () => {
    const user = join(base, 'user');
    mkdirSync(user, { mode: 0o700 });
    mkdirSync(join(user, 'gridops-keeper'), { mode: 0o700 });
    chownSync(user, NOBODY, NOBODY);
    expect(() => ensurePrivateDir(join(user, 'gridops-keeper'))).toThrow(/user, a directory on the way to .*gridops-keeper, is owned by uid 65534/);
  });

  it('is refused under a directory group or others may write (not sticky), also on the far side of a symlink', () => {
    const open = join(base, 'open');
    mkdirSync(join(open, 'keeper'), { recursive: true, mode: 0o700 });
    chmodSync(open, 0o777);
    expect(() => ensurePrivateDir(join(open, 'keeper'))).toThrow(/open, a directory on the way .* has mode 0777/);
    symlinkSync(open, join(base, 'link'));
    expect(() => ensurePrivateDir(join(base, 'link', 'keeper'))).toThrow(/open, a directory on the way .* has mode 0777/);
  });

  it("a socket there that is not ours is refused, before the run dials it", async () => {
    const dir = join(base, 'keeper');
    ensurePrivateDir(dir);
    const path = join(dir, 'k.sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path, () => resolve()));
    try {
      expect(ensureOwnKeeperSocket(path)).toBe(true);
      chownSync(path, NOBODY, NOBODY);
      expect(() => ensureOwnKeeperSocket(path)).toThrow(/k\.sock is owned by uid 65534/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    writeFileSync(path, '');
    expect(() => ensureOwnKeeperSocket(path)).toThrow(/k\.sock is not a socket/);
    rmSync(path);
    expect(ensureOwnKeeperSocket(path)).toBe(false);
  });

  it('a run whose keeper directory is refused says why and connects directly, asking no keeper there', async () => {
    const user = join(base, 'user');
    const keeperDir = join(user, 'gridops-keeper');
    mkdirSync(keeperDir, { recursive: true, mode: 0o700 });
    const knownHosts = join(base, 'known_hosts');
    writeFileSync(knownHosts, '');
    const saved = process.env.GRIDOPS_KEEPER_DIR;
    process.env.GRIDOPS_KEEPER_DIR = keeperDir;
    const keeper = await startRecordingKeeper(knownHosts, '');
    chownSync(user, NOBODY, NOBODY);
    try {
      const said: string[] = [];
      const fleet = new Fleet();
      const nodes = nodesOf(`port: 1, knownHosts: ${knownHosts}`, ['{ name: n1, address: 127.0.0.1 }']);
      const stop = new AbortController();
      stop.abort();
      await fleet.readEach(nodes, { concurrency: 1, acceptNewHostKeys: false, persistMs: 60_000, signal: stop.signal, warn: (m) => said.push(`warning: ${m}`) }, async () => 'read');
      await fleet.close();
      expect(said).toEqual([expect.stringMatching(/^warning: --persist is not used: .*user, a directory on the way to .*gridops-keeper, is owned by uid 65534.*: connections are opened directly and not kept$/)]);
      expect(keeper.connects).toHaveLength(0);
    } finally {
      await keeper.stop();
      if (saved === undefined) delete process.env.GRIDOPS_KEEPER_DIR;
      else process.env.GRIDOPS_KEEPER_DIR = saved;
    }
  });
});

describe("a keeper directory whose socket's path is too long for a Unix socket's name (sun_path)", () => {
  let base: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'gridops-keeper-long-'));
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  /** A directory under `base` whose keeper socket path is `bytes` bytes long, its last component made of `unit`. */
  const dirWithSocketOf = (bytes: number, unit = 'k') => {
    const fixed = Buffer.byteLength(keeperSocket(join(base, ''), []));
    const unitBytes = Buffer.byteLength(unit);
    // One path component ("/" + name): the socket's own name is the same length whatever the directory.
    const count = (bytes - fixed - 1) / unitBytes;
    if (!Number.isInteger(count)) throw new Error(`cannot make ${bytes} bytes of ${unit}`);
    return join(base, unit.repeat(count));
  };

  it('is refused, by its length in bytes, before anything is made there; a path one byte shorter is used', () => {
    const tooLong = dirWithSocketOf(MAX_SOCKET_PATH_BYTES + 1);
    expect(keeperDirRefusal(tooLong)).toMatch(new RegExp(`^the keeper's socket path .* is ${MAX_SOCKET_PATH_BYTES + 1} bytes, longer than the ${MAX_SOCKET_PATH_BYTES} a Unix socket's name can hold .*set GRIDOPS_KEEPER_DIR to a shorter directory`));
    expect(existsSync(tooLong)).toBe(false);
    expect(keeperDirRefusal(dirWithSocketOf(MAX_SOCKET_PATH_BYTES))).toBeUndefined();
  });

  it('counts bytes, not characters: a name of é (2 bytes each) short in characters is refused', () => {
    const dir = dirWithSocketOf(MAX_SOCKET_PATH_BYTES + 1, 'é');
    expect(keeperSocket(dir, []).length).toBeLessThanOrEqual(MAX_SOCKET_PATH_BYTES);
    expect(keeperDirRefusal(dir)).toMatch(/bytes, longer than/);
  });

  it('a run with such a GRIDOPS_KEEPER_DIR says why and connects directly, rather than waiting on a keeper that binds another name', async () => {
    const knownHosts = join(base, 'known_hosts');
    writeFileSync(knownHosts, '');
    const saved = process.env.GRIDOPS_KEEPER_DIR;
    process.env.GRIDOPS_KEEPER_DIR = dirWithSocketOf(MAX_SOCKET_PATH_BYTES + 1);
    try {
      const said: string[] = [];
      const fleet = new Fleet();
      const nodes = nodesOf(`port: 1, knownHosts: ${knownHosts}`, ['{ name: n1, address: 127.0.0.1 }']);
      const stop = new AbortController();
      stop.abort();
      await fleet.readEach(nodes, { concurrency: 1, acceptNewHostKeys: false, persistMs: 60_000, signal: stop.signal, warn: (m) => said.push(`warning: ${m}`) }, async () => 'read');
      await fleet.close();
      expect(said).toEqual([expect.stringMatching(/^warning: --persist is not used: the keeper's socket path .* bytes.*: connections are opened directly and not kept$/)]);
    } finally {
      if (saved === undefined) delete process.env.GRIDOPS_KEEPER_DIR;
      else process.env.GRIDOPS_KEEPER_DIR = saved;
    }
  });
});
