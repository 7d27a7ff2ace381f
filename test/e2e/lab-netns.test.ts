/**
 * `gridops lab up --kind netns`: light hosts for scale tests. 50 hosts come up, each with its
 * own sshd, and go away completely. How fast is the bench's to say (`npm run bench -- lab`), not a
 * test's: on a machine whose process creation costs three times as much, the same 50 hosts took
 * 8.5 s where they had taken under 5.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labUp } from '../../src/lab/lab.js';
import { describeLab } from './support/lab.js';
import { leftovers } from './support/leftovers.js';
import { multicastProbe } from './support/multicast.js';

const NODES = 50;

describeLab('lab: 50 netns hosts', { kind: 'netns', nodes: NODES, subgrids: 5, regions: 2 }, (lab) => {
  test('50 hosts came up, their timings recorded', () => {
    // eslint-disable-next-line no-console
    console.log(`50 netns hosts up in ${lab.up.timings.totalMs} ms`);
    expect(lab.nodes).toHaveLength(NODES);
    // What `lab up` reports: its network and boot phases, each within the total it prints.
    const { totalMs, networkMs, bootMs } = lab.up.timings;
    expect([networkMs, bootMs].every((ms) => typeof ms === 'number' && ms >= 0 && ms <= totalMs!)).toBe(true);
    expect(networkMs! + bootMs!).toBeLessThanOrEqual(totalMs!);
  });

  test('every host answers ssh with strict host-key checking and has its own hostname', async () => {
    const s = await lab.status();
    expect(s.nodes.filter((n) => !n.ok)).toEqual([]);
    expect(new Set(s.nodes.map((n) => n.hostname)).size).toBe(NODES);
  }, 60_000);

  test('writes stay per host: /etc of one host is not the machine\'s nor another host\'s', async () => {
    const marker = `/etc/gridops-lab-marker-${process.pid}`;
    expect((await lab.ssh('node-01', `echo one > ${marker}; cat ${marker}`)).stdout.trim()).toBe('one');
    expect((await lab.ssh('node-02', `cat ${marker} 2>/dev/null || echo absent`)).stdout.trim()).toBe('absent');
    expect(existsSync(marker)).toBe(false);
  });

  test('hosts get skeleton rc files, not the machine\'s root ~/.bashrc', async () => {
    const r = await lab.ssh('node-03', 'cmp -s /etc/skel/.bashrc ~/.bashrc && echo skeleton');
    expect(r.stdout.trim()).toBe('skeleton');
  });

  test('sub-grids get distinct multicast groups, and multicast reaches the other hosts', async () => {
    const st = lab.state();
    expect(new Set(st.plan.subgrids.map((s) => s.multicast)).size).toBe(5);
    const [a, b, c] = st.nodes;
    const got = await multicastProbe(a!, [b!, c!], '239.192.0.1', 7947);
    expect(got.every((g) => g.startsWith(`${a!.address} hello-`))).toBe(true);
  });

  test('the network is private: no default route', async () => {
    const r = await lab.ssh('node-10', 'ip route get 1.1.1.1 2>&1 || true');
    expect(r.stdout).toMatch(/Network is unreachable/);
  });

  test('up again is idempotent', async () => {
    const again = await labUp({ kind: 'netns', nodes: NODES, subgrids: 5, regions: 2, dir: lab.dir });
    expect(again.reused).toBe(true);
  });

  test('down removes everything, fast', async () => {
    const st = lab.state();
    // An apply's state of these hosts, beside the topology: it goes with them (a new lab would otherwise inherit it).
    mkdirSync(join(lab.dir, '.gridops'), { recursive: true });
    writeFileSync(join(lab.dir, '.gridops', 'lab.state.json'), '{}');
    writeFileSync(join(lab.dir, '.gridops', 'lab.key'), 'kept');
    const d = await lab.down();
    expect(existsSync(join(lab.dir, '.gridops', 'lab.state.json'))).toBe(false);
    expect(existsSync(join(lab.dir, '.gridops', 'lab.key'))).toBe(true);
    // eslint-disable-next-line no-console
    console.log(`50 netns hosts down in ${d.ms} ms`);
    expect(d.namespaces).toHaveLength(NODES);
    expect(leftovers(st)).toEqual({ links: [], netns: [], cgroups: [], mounts: [], processes: [] });
    expect(existsSync(st.runDir)).toBe(false);
  }, 30_000);
});
