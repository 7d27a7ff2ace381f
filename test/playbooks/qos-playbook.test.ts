import { loadPlaybook } from '../../src/playbooks/load.js';
import { instantiate } from '../../src/playbooks/instantiate.js';
import { templateContext } from '../../src/templates/render.js';
import { allNodes } from '../../src/topology/model.js';
import { facts, gridOf } from '../resources/fixtures.js';

const grid = gridOf(
  `defaults: { qos: { gridCpuPercent: 25 } }
regions:
  - name: r1
    subgrids:
      - name: s1
        qos: { gridMemoryMiB: 2048 }
        nodes:
          - { name: n1, address: 10.0.0.1 }
          - { name: n2, address: 10.0.0.2, qos: { gridCpuPercent: 80 } }
`,
);

/** The unit file the qos playbook would write on `name`, a host with `cores` CPUs. */
function sliceOf(name: string, cores: number): string {
  const node = allNodes(grid).find((n) => n.name === name)!;
  const [unit] = instantiate(loadPlaybook('qos'), templateContext(grid, node, { ...facts(), cpu: { cores, virtFlags: [] } })).resources;
  return (unit as unknown as { content: Buffer }).content.toString();
}

describe('the qos playbook', () => {
  it('turns the effective qos settings into grid.slice limits, counting the host CPUs', () => {
    expect(sliceOf('n1', 8)).toContain('CPUQuota=200%\n'); // 25 % of 8 CPUs
    expect(sliceOf('n1', 8)).toContain('MemoryMax=2048M\n'); // inherited from the sub-grid
    expect(sliceOf('n2', 2)).toContain('CPUQuota=160%\n'); // the node's own 80 % of 2 CPUs
    expect(sliceOf('n2', 2)).toContain('[Install]\nWantedBy=slices.target\n');
  });
});
