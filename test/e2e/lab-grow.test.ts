import { jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { describeLab } from './support/lab.js';
import { gridops } from './support/cli.js';

/**
 * `gridops lab grow` on a real container lab: new nodes, a new sub-grid and a new region join a
 * running lab; the existing nodes keep their processes and files, and the lab's DNS names the new region.
 */
jest.setTimeout(600_000);

describeLab('gridops lab grow (systemd containers)', { kind: 'container', nodes: 2, subgrids: 1 }, (lab) => {
  it('adds a region of one sub-grid and two nodes, leaving the running nodes alone', async () => {
    const before = lab.state().nodes.map((n) => ({ name: n.name, pid: n.pid, address: n.address }));
    // Something that only a rebuilt node would lose: a file written now, and PID 1's start time inside the node.
    const marks = await Promise.all(before.map(async (n) => (await lab.ssh(n.name, 'echo kept > /root/mark; stat -c %Z /proc/1')).stdout.trim()));
    const t0 = Date.now();
    const grown = await lab.grow({ nodes: 4, subgrids: 2, regions: 2 });
    // eslint-disable-next-line no-console
    console.log(`lab grow: 2 container nodes added in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(grown.added.map((n) => [n.name, n.region, n.subgrid])).toEqual([
      ['node-03', 'region-2', 'subgrid-2'],
      ['node-04', 'region-2', 'subgrid-2'],
    ]);
    // The running nodes: same processes, addresses and files.
    const after = lab.state().nodes;
    for (const n of before) expect(after.find((x) => x.name === n.name)).toMatchObject({ pid: n.pid, address: n.address });
    for (const [i, n] of before.entries()) expect((await lab.ssh(n.name, 'cat /root/mark; stat -c %Z /proc/1')).stdout.trim()).toBe(`kept\n${marks[i]}`);
    // The new nodes answer over ssh with their own host keys (strict checking against the rewritten known_hosts).
    for (const n of grown.added) expect((await lab.ssh(n.name, 'hostname')).stdout.trim()).toBe(n.name);
    // The lab's DNS names the new region after its nodes, and the old one still after its own.
    const addressOf = (name: string) => after.find((n) => n.name === name)!.address;
    const resolve = async (name: string) => (await lab.ssh('node-01', `getent ahostsv4 ${name} | awk '{print $1}' | sort -u`)).stdout.trim().split('\n').sort();
    expect(await resolve('region-2.lab.grid.internal')).toEqual([addressOf('node-03'), addressOf('node-04')].sort());
    expect(await resolve('region-1.lab.grid.internal')).toEqual([addressOf('node-01'), addressOf('node-02')].sort());
    // The topology lists the grown grid, and validates.
    const topology = readFileSync(lab.topology, 'utf8');
    expect(topology).toContain('regionPeerName: region-2.lab.grid.internal');
    expect(topology).toContain(`{ name: node-04, address: ${addressOf('node-04')} }`);
    expect(gridops(['validate', lab.topology]).status).toBe(0);
  });

  it('growing again to the same totals does nothing; shrinking is refused and changes nothing', async () => {
    const pids = lab.state().nodes.map((n) => n.pid);
    const same = await lab.grow({ nodes: 4, subgrids: 2, regions: 2 });
    expect(same.added).toEqual([]);
    expect(lab.state().nodes.map((n) => n.pid)).toEqual(pids);
    const refused = gridops(['lab', 'grow', '--dir', lab.dir, '--nodes', '3']);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('--nodes 3 is fewer than the lab has (4)');
    expect(lab.state().nodes.map((n) => n.pid)).toEqual(pids);
    expect(lab.state().plan.shape.nodes).toBe(4);
  });
});
