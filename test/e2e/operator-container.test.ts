import { jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeLab } from './support/lab.js';
import { gridops } from './support/cli.js';

/**
 * What an operator looks at on a running grid: agents deployed by gridops on systemd containers,
 * then the live picture of the overlay (graph --live), as the agents report it.
 */
jest.setTimeout(600_000);

describeLab('operator views of a running grid (systemd containers, real agents)', { kind: 'container', nodes: 6, subgrids: 2 }, (lab) => {
  const playbooks = ['--playbook', 'node-base', '--playbook', 'agent'];

  beforeAll(() => {
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
});
