import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentProgress } from '../../src/lab/progress.js';
import { runDebootstrap } from '../../src/lab/rootfs.js';
import { ensureSandboxImage } from '../../src/lab/sandbox-image.js';

/** A debootstrap that fails the way a mirror problem does: its log in TARGET/debootstrap/, exit 1. */
const FAILING_DEBOOTSTRAP = `#!/bin/sh
for a; do target=$mirror; mirror=$a; done
mkdir -p "$target/debootstrap"
echo "E: Couldn't download packages: linux-image-amd64" > "$target/debootstrap/debootstrap.log"
echo "E: Couldn't download packages: linux-image-amd64"
exit 1
`;

describe('the Debian tree builder (debootstrap) fails with a message and a log that say what to do', () => {
  let dir: string;
  const savedPath = process.env.PATH;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-treebuilder-'));
  });
  afterEach(() => {
    process.env.PATH = savedPath;
    rmSync(dir, { recursive: true, force: true });
  });

  test('without debootstrap on PATH the message names the package to install, not a mirror problem', async () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    process.env.PATH = bin;
    const err = await runDebootstrap(join(dir, 'root'), ['busybox-static'], 'http://deb.debian.org/debian', silentProgress, new AbortController().signal, { keepLogAt: join(dir, 'last-debootstrap.log') }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toBe('debootstrap is not installed (apt-get install debootstrap)');
    expect((err as Error & { hint?: string }).hint).not.toMatch(/reachable/);
  });

  test("a failed sandbox image build keeps debootstrap's log in the cache and names it, though the build's directory is removed", async () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'debootstrap'), FAILING_DEBOOTSTRAP);
    chmodSync(join(bin, 'debootstrap'), 0o755);
    process.env.PATH = `${bin}:${savedPath}`;
    const cache = join(dir, 'cache');
    const err = await ensureSandboxImage(cache, silentProgress, new AbortController().signal).then(() => undefined, (e: unknown) => e as Error & { hint?: string });
    const kept = join(cache, 'sandbox-image', 'last-debootstrap.log');
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toMatch(/^debootstrap failed \(exit 1\)/);
    expect(err!.hint).toContain(kept);
    expect(readFileSync(kept, 'utf8')).toMatch(/Couldn't download packages/);
    expect(existsSync(join(cache, 'sandbox-image', `.tmp-image-${process.pid}`))).toBe(false);
  });
});
