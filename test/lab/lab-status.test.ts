import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labStatus } from '../../src/lab/lab.js';
import { planLab } from '../../src/lab/plan.js';
import { writeLabJson } from '../support/lab-json.js';

/**
 * `lab status` said healthy, exit 0, while the package proxy or the name server was dead, though
 * `up` repairs a lab in that state. A lab with no node to ask over SSH, so only those two decide.
 */
describe('lab status: the package proxy and the name server count', () => {
  let dir: string;
  const children: ChildProcess[] = [];
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-lab-status-'))));
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  /** A process whose command line names `program` and `path`, as the lab's own proxy's and name server's do. */
  const stand = (program: string, path: string) => {
    const c = spawn('sh', ['-c', 'sleep 30; :', program, path], { stdio: 'ignore' });
    children.push(c);
    return c.pid!;
  };

  function labJson(running: { proxy: boolean; dns: boolean }): void {
    const plan = planLab({ kind: 'netns', nodes: 1, subgrids: 1, regions: 1 }, 15);
    const cacheDir = join(dir, 'proxy', 'cache');
    const hostsFile = join(dir, 'dns', 'hosts');
    writeLabJson(dir, plan, {
      runDir: join(process.env.GRIDOPS_LAB_RUN_ROOT ?? '/run/gridops-lab', '15'),
      proxy: { pid: running.proxy ? stand('apt-cacher-ng', cacheDir) : 2 ** 22 + 1, address: plan.bridge.address, port: 3142, cacheDir },
      dns: { pid: running.dns ? stand('dnsmasq', hostsFile) : 2 ** 22 + 1, address: plan.bridge.address, hostsFile },
    });
  }

  test('both running: healthy', async () => {
    labJson({ proxy: true, dns: true });
    const r = await labStatus(dir);
    expect(r.proxy.running).toBe(true);
    expect(r.dns.running).toBe(true);
    expect(r.healthy).toBe(true);
  });

  test('the package proxy dead: unhealthy', async () => {
    labJson({ proxy: false, dns: true });
    const r = await labStatus(dir);
    expect(r.proxy.running).toBe(false);
    expect(r.healthy).toBe(false);
  });

  test('the name server dead: unhealthy', async () => {
    labJson({ proxy: true, dns: false });
    const r = await labStatus(dir);
    expect(r.dns).toEqual({ address: expect.stringMatching(/^10\.231\./), running: false });
    expect(r.healthy).toBe(false);
  });
});
