import { jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeLab } from './support/lab.js';
import { gridops } from './support/cli.js';

/**
 * What an operator looks at on a running grid: agents deployed by gridops on systemd containers,
 * then the live picture of the overlay (graph --live), status --limit, `gridagent members`, and a
 * Prometheus-format scrape of one agent from another node (agent.httpAddress: 0.0.0.0).
 */
jest.setTimeout(600_000);

describeLab('operator views of a running grid (systemd containers, real agents)', { kind: 'container', nodes: 6, subgrids: 2 }, (lab) => {
  const playbooks = ['--playbook', 'node-base', '--playbook', 'agent'];

  beforeAll(() => {
    // Every agent's HTTP server on all interfaces, so another node (a Prometheus server) can scrape it.
    writeFileSync(lab.topology, readFileSync(lab.topology, 'utf8').replace(/agent: \{ port: (\d+) \}/, 'agent: { port: $1, httpAddress: 0.0.0.0 }'));
    const apply = gridops(['apply', lab.topology, '--yes', ...playbooks], { timeoutMs: 540_000 });
    if (apply.status !== 0) throw new Error(`apply failed:\n${apply.stdout}\n${apply.stderr}`);
    const settled = gridops(['status', lab.topology, '--wait', '30s'], { timeoutMs: 120_000 });
    if (settled.status !== 0) throw new Error(`the overlay did not settle:\n${settled.stdout}\n${settled.stderr}`);
  }, 600_000);

  it('status --limit asks only the selected nodes: a sub-grid less one node, then a glob', () => {
    const limited = gridops(['status', '--limit', 'region-1/subgrid-2,!node-05', lab.topology, '--json'], { timeoutMs: 120_000 });
    expect(limited.status).toBe(0);
    const data = JSON.parse(limited.stdout) as { nodes: Array<{ node: string; reachable: boolean; agent?: { role: string } }> };
    expect(data.nodes.map((n) => n.node)).toEqual(['node-04', 'node-06']);
    for (const n of data.nodes) expect(n.agent?.role).toMatch(/super-peer|mirror|member/);
    const glob = gridops(['status', '--limit', 'node-0[13]', lab.topology], { timeoutMs: 120_000 });
    expect(glob.status).toBe(0);
    expect(glob.stdout).toMatch(/^node-01\s/m);
    expect(glob.stdout).toMatch(/^node-03\s/m);
    expect(glob.stdout).not.toMatch(/^node-0[2456]\s/m);
    expect(glob.stdout).toContain('2/2 nodes reachable');
  });

  it('graph --live marks the super peers and the region peer the agents elected, and who follows whom', () => {
    const status = JSON.parse(gridops(['status', lab.topology, '--json']).stdout) as { superPeers: Record<string, string[]>; regionPeers: Record<string, string[]> };
    const superPeers = Object.values(status.superPeers).flat();
    const regionPeer = status.regionPeers['region-1']![0]!;
    expect(superPeers).toHaveLength(2);
    const dot = gridops(['graph', lab.topology, '--live'], { timeoutMs: 120_000 });
    expect(dot.status).toBe(0);
    expect(dot.stderr).toContain('6/6 nodes reachable, 6 agents answered');
    for (const peer of superPeers) expect(dot.stdout).toMatch(new RegExp(`"?${peer}"?\\s+\\[[^\\]]*fillcolor="#ffd966"`));
    expect(dot.stdout).toMatch(new RegExp(`"?${regionPeer}"?\\s+\\[[^\\]]*peripheries=2`));
    // every other node points at its sub-grid's super peer
    const follows = [...dot.stdout.matchAll(/"?(node-\d+)"?\s*->\s*"?(node-\d+)"?\s*\[([^\]]*)\]/g)].filter((m) => !m[3]!.includes('invis')).map((m) => `${m[1]}->${m[2]}`);
    const [sg1, sg2] = [status.superPeers['region-1/subgrid-1']![0]!, status.superPeers['region-1/subgrid-2']![0]!];
    const expected = ['node-01', 'node-02', 'node-03'].filter((n) => n !== sg1).map((n) => `${n}->${sg1}`)
      .concat(['node-04', 'node-05', 'node-06'].filter((n) => n !== sg2).map((n) => `${n}->${sg2}`))
      .concat(superPeers.filter((p) => p !== regionPeer).map((p) => `${p}->${regionPeer}`));
    expect(follows.sort()).toEqual(expected.sort());
    const svgFile = join(lab.dir, 'grid.svg');
    expect(gridops(['graph', lab.topology, '--live', '--format', 'svg', '--out', svgFile], { timeoutMs: 120_000 }).status).toBe(0);
    const svg = readFileSync(svgFile, 'utf8');
    expect(svg).toContain('super peer + region peer');
    // a real SVG renderer reads it (librsvg, when installed)
    try {
      execFileSync('rsvg-convert', ['-o', join(lab.dir, 'grid.png'), svgFile]);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  });

  it('gridagent members on the super peer lists its sub-grid like consul members; a member says where the list lives', async () => {
    const status = JSON.parse(gridops(['status', lab.topology, '--json']).stdout) as { superPeers: Record<string, string[]> };
    const superPeer = status.superPeers['region-1/subgrid-1']![0]!;
    const table = await lab.ssh(superPeer, 'gridagent members');
    expect(table.exitCode).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Node\s+Status\s+Role\s+Score\s+Load\s+Cores\s+Memory\s+Arch/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0]).sort()).toEqual(['node-01', 'node-02', 'node-03']);
    expect(lines.find((l) => l.startsWith(superPeer))).toMatch(/\salive\s+super-peer\s/);
    const rows = JSON.parse((await lab.ssh(superPeer, 'gridagent members --json')).stdout) as Array<{ node: string; role: string; status: string }>;
    expect(rows.filter((r) => r.role === 'super-peer').map((r) => r.node)).toEqual([superPeer]);
    expect(rows.every((r) => r.status === 'alive')).toBe(true);
    const member = ['node-01', 'node-02', 'node-03'].find((n) => n !== superPeer && !rows.some((r) => r.node === n && r.role === 'mirror'));
    if (member) expect((await lab.ssh(member, 'gridagent members')).stdout).toContain(`the member list is held by its super peer ${superPeer}`);
  });

  it('another node scrapes an agent\'s /metrics over the network: Prometheus text with build info and process metrics', async () => {
    const address = readFileSync(lab.topology, 'utf8').match(/name: node-01, address: ([\d.]+)/)![1]!;
    const port = 7950; // the built-in agent.httpPort; the lab sets only the protocol port
    const scrape = await lab.ssh('node-05', `node -e "fetch('http://${address}:${port}/metrics').then(r => r.text()).then(t => process.stdout.write(t))"`);
    expect(scrape.exitCode).toBe(0);
    const text = scrape.stdout;
    expect(text).toMatch(/^gridagent_build_info\{node="node-01",nodejs="v18\.[^"]+",region="region-1",subgrid="subgrid-1",version="\d+\.\d+\.\d+"\} 1$/m);
    expect(text).toMatch(/^# TYPE process_cpu_seconds_total counter$/m);
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_open_fds', 'process_max_fds', 'process_start_time_seconds']) expect(text).toMatch(new RegExp(`^${name} [0-9.e+]+$`, 'm'));
    const rss = Number(/^process_resident_memory_bytes (\S+)$/m.exec(text)![1]);
    expect(rss).toBeGreaterThan(10 * 2 ** 20);
    expect(rss).toBeLessThan(500 * 2 ** 20);
    const started = Number(/^process_start_time_seconds (\S+)$/m.exec(text)![1]);
    expect(started).toBeLessThanOrEqual(Date.now() / 1000 + 5);
    expect(started).toBeGreaterThan(Date.now() / 1000 - 3600);
    // every sample line is in the text exposition format
    for (const line of text.trim().split('\n').filter((l) => !l.startsWith('#'))) expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? -?[0-9.e+]+$/);
  });
});
