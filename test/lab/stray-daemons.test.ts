import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labFiles } from '../../src/lab/paths.js';
import { stopStrayDaemons } from '../../src/lab/stray-daemons.js';
import { cmdline, pidAlive } from '../../src/lab/sys.js';

/** A harmless long-running process whose argv carries `args`, as an unrecorded daemon's does. */
function fakeDaemon(args: string[]): number {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)', '--', ...args], { stdio: 'ignore' });
  child.unref();
  return child.pid!;
}

const waitFor = async (cond: () => boolean, ms = 2000) => {
  const until = Date.now() + ms;
  while (!cond() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
};

describe('lab down: daemons an interrupted or failed up started but lab.json never recorded', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-stray-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("the package proxy (found by its CacheDir) and the name server (by its hosts file) are stopped; another lab's are not", async () => {
    const proxy = fakeDaemon(['ForeGround=1', `CacheDir=${join(labFiles(dir).proxy, 'cache')}`]);
    const dns = fakeDaemon([`--addn-hosts=${join(labFiles(dir).dns, 'hosts')}`]);
    const otherLab = fakeDaemon([`CacheDir=${join(labFiles(`${dir}-other`).proxy, 'cache')}`]);
    try {
      // Until it has exec'd, a child still shows its parent's command line.
      await waitFor(() => [proxy, dns, otherLab].every((pid) => cmdline(pid).includes('setTimeout')), 10_000);
      expect([proxy, dns, otherLab].map((pid) => cmdline(pid).split(' ').pop())).toEqual([`CacheDir=${join(labFiles(dir).proxy, 'cache')}`, `--addn-hosts=${join(labFiles(dir).dns, 'hosts')}`, `CacheDir=${join(labFiles(`${dir}-other`).proxy, 'cache')}`]);
      expect(await stopStrayDaemons(dir)).toBe(2);
      await waitFor(() => !pidAlive(proxy) && !pidAlive(dns));
      expect(pidAlive(proxy)).toBe(false);
      expect(pidAlive(dns)).toBe(false);
      expect(pidAlive(otherLab)).toBe(true);
    } finally {
      for (const pid of [proxy, dns, otherLab]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
  }, 20_000);
});
