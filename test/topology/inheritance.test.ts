import { checkTopologyText } from '../../src/topology/load.js';
import { allNodes, type Grid } from '../../src/topology/model.js';

function grid(text: string): Grid {
  const { grid, problems } = checkTopologyText('t.yaml', text);
  if (!grid) throw new Error(problems.map((p) => `${p.line}:${p.column}: ${p.message}`).join('\n'));
  return grid;
}

type Levels = { defaults?: string; region?: string; subgrid?: string; node?: string };
const doc = (levels: Levels) => `
apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
${levels.defaults ? `defaults: ${levels.defaults}` : ''}
regions:
  - name: r1
${levels.region ? `    ${levels.region}` : ''}
    subgrids:
      - name: s1
${levels.subgrid ? `        ${levels.subgrid}` : ''}
        nodes:
          - name: n1
            address: 10.0.0.1
${levels.node ? `            ${levels.node}` : ''}
          - { name: n2, address: 10.0.0.2 }
`;

describe('settings inherit grid defaults > region > sub-grid > node', () => {
  it('uses built-in values when no level sets them', () => {
    const [n1] = allNodes(grid(doc({})));
    expect(n1!.settings.qos.gridCpuPercent).toBe(50);
    expect(n1!.settings.ssh.port).toBe(22);
    expect(n1!.origins['qos.gridCpuPercent']).toBe('built-in');
  });

  it.each([
    ['defaults', { defaults: '{ qos: { gridCpuPercent: 11 } }' }, 11, 'defaults'],
    ['region', { defaults: '{ qos: { gridCpuPercent: 11 } }', region: 'qos: { gridCpuPercent: 22 }' }, 22, 'regions[0]'],
    ['sub-grid', { defaults: '{ qos: { gridCpuPercent: 11 } }', region: 'qos: { gridCpuPercent: 22 }', subgrid: 'qos: { gridCpuPercent: 33 }' }, 33, 'regions[0].subgrids[0]'],
    ['node', { defaults: '{ qos: { gridCpuPercent: 11 } }', region: 'qos: { gridCpuPercent: 22 }', subgrid: 'qos: { gridCpuPercent: 33 }', node: 'qos: { gridCpuPercent: 44 }' }, 44, 'regions[0].subgrids[0].nodes[0]'],
  ] as Array<[string, Levels, number, string]>)('a value set at the %s level wins over the levels above', (_level, levels, want, origin) => {
    const [n1, n2] = allNodes(grid(doc(levels)));
    expect(n1!.settings.qos.gridCpuPercent).toBe(want);
    expect(n1!.origins['qos.gridCpuPercent']).toBe(origin);
    // n2 has no node-level override, so it takes the sub-grid's (or above) value
    expect(n2!.settings.qos.gridCpuPercent).toBe(levels.subgrid ? 33 : levels.region ? 22 : 11);
  });

  it('merges mappings key by key across levels', () => {
    const [n1] = allNodes(grid(doc({ defaults: '{ ssh: { user: admin, port: 2222 } }', region: 'ssh: { port: 22 }', node: 'ssh: { identityFile: /k }' })));
    expect(n1!.settings.ssh).toMatchObject({ user: 'admin', port: 22, identityFile: '/k' });
    expect(n1!.origins['ssh.user']).toBe('defaults');
    expect(n1!.origins['ssh.port']).toBe('regions[0]');
  });

  it('replaces lists as a whole', () => {
    const [n1, n2] = allNodes(grid(doc({ defaults: '{ kernel: { modules: [kvm, tun] } }', node: 'kernel: { modules: [dummy] }' })));
    expect(n1!.settings.kernel.modules).toEqual(['dummy']);
    expect(n2!.settings.kernel.modules).toEqual(['kvm', 'tun']);
  });

  it('merges nested sandbox settings and module params deeply', () => {
    const [n1] = allNodes(
      grid(doc({ defaults: '{ hypervisor: { sandbox: { vcpus: 2, memoryMiB: 2048 } }, kernel: { params: { kvm: { ignore_msrs: 1 } } } }', subgrid: 'hypervisor: { sandbox: { vcpus: 4 } }', node: 'kernel: { params: { kvm: { halt_poll_ns: 0 } } }' })),
    );
    expect(n1!.settings.hypervisor.sandbox).toMatchObject({ vcpus: 4, memoryMiB: 2048 });
    expect(n1!.settings.kernel.params.kvm).toEqual({ ignore_msrs: 1, halt_poll_ns: 0 });
  });

  it('derives become from the user unless set explicitly', () => {
    const [n1, n2] = allNodes(grid(doc({ defaults: '{ ssh: { user: admin } }', node: 'ssh: { become: false }' })));
    expect(n1!.settings.ssh.become).toBe(false);
    expect(n2!.settings.ssh.become).toBe(true);
  });

  it('converts durations and percentages into the model units', () => {
    const g = grid(doc({ defaults: '{ ssh: { connectTimeout: 2500ms } }' }) + 'rollout: { maxUnavailable: 25%, healthTimeout: 2m }\n');
    expect(allNodes(g)[0]!.settings.ssh.connectTimeoutMs).toBe(2500);
    expect(g.rollout).toEqual({ maxUnavailable: { percent: 25 }, healthTimeoutMs: 120_000 });
  });

  it('reports a bad value in inherited defaults at the line where it is written', () => {
    const text = doc({ region: 'qos: { gridCpuPercent: 0 }' });
    const { problems } = checkTopologyText('t.yaml', text);
    const lines = text.split('\n');
    const line = lines.findIndex((l) => l.includes('gridCpuPercent: 0')) + 1;
    const column = lines[line - 1]!.indexOf('gridCpuPercent: 0') + 'gridCpuPercent: '.length + 1;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line, column, path: 'regions[0].qos.gridCpuPercent' });
  });

  it('gives each sub-grid without a multicast group a stable derived one', () => {
    const a = grid(doc({})).regions[0]!.subgrids[0]!.multicast;
    expect(a.group).toMatch(/^239\.(19[2-5])\.\d+\.\d+$/);
    expect(grid(doc({ node: 'labels: { x: y }' })).regions[0]!.subgrids[0]!.multicast).toEqual(a);
  });
});
