import { loadPlaybook } from '../../src/playbooks/load.js';
import { instantiate } from '../../src/playbooks/instantiate.js';
import { templateContext } from '../../src/templates/render.js';
import { allNodes } from '../../src/topology/model.js';
import type { HostFacts } from '../../src/facts/host-facts.js';
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
      - name: s2
        nodes:
          - { name: n3, address: 10.0.0.3, qos: { egressMbit: 20 }, hypervisor: { enabled: true, sandbox: { image: sandbox.img } } }
          - { name: n4, address: 10.0.0.4 }
`,
);

/** The unit file the qos playbook would write on `name`, a host with `cores` CPUs (and the fixture's cgroup v2 with swap accounting, unless `layout` says otherwise). */
function sliceOf(name: string, cores: number, layout: Partial<Pick<HostFacts, 'cgroup' | 'swapAccounting'>> = {}): string {
  const node = allNodes(grid).find((n) => n.name === name)!;
  const [unit] = instantiate(loadPlaybook('qos'), templateContext(grid, node, { ...facts(), cpu: { cores, virtFlags: [] }, ...layout })).resources;
  return (unit as unknown as { content: Buffer }).content.toString();
}

describe('the qos playbook', () => {
  it('turns the effective qos settings into grid.slice limits, counting the host CPUs', () => {
    expect(sliceOf('n1', 8)).toContain('CPUQuota=200%\n'); // 25 % of 8 CPUs
    expect(sliceOf('n1', 8)).toContain('MemoryMax=2048M\n'); // inherited from the sub-grid
    expect(sliceOf('n2', 2)).toContain('CPUQuota=160%\n'); // the node's own 80 % of 2 CPUs
    expect(sliceOf('n2', 2)).toContain('[Install]\nWantedBy=slices.target\n');
  });

  it('a memory cap is not to be dodged by swapping: MemorySwapMax=0 with gridMemoryMiB, no swap limit without one', () => {
    expect(sliceOf('n1', 8)).toContain('MemorySwapMax=0\n');
    expect(sliceOf('n4', 8)).toContain('MemoryMax=infinity\n');
    expect(sliceOf('n4', 8)).toContain('MemorySwapMax=infinity\n');
  });

  it('the sandbox VM may not swap on cgroup v2, memory cap or not: libvirt cannot say so there (its swap limit is memory.swap.max, swap alone), grid.slice does', () => {
    expect(sliceOf('n3', 8)).toContain('MemoryMax=infinity\n');
    expect(sliceOf('n3', 8)).toContain('MemorySwapMax=0\n');
    expect(sliceOf('n3', 8, { swapAccounting: false })).toContain('MemorySwapMax=0\n');
    // On v1 (and hybrid, whose memory controller is on v1) systemd has no swap setting, and the VM's own limit counts memory plus swap.
    expect(sliceOf('n3', 8, { cgroup: 'hybrid' })).toContain('MemorySwapMax=infinity\n');
    expect(sliceOf('n3', 8, { cgroup: 'v1' })).toContain('MemorySwapMax=infinity\n');
  });

  it('reads the facts for the swap limit only on a hypervisor node without a memory cap (the planner renders first without them)', () => {
    const swapMaxBeforeFacts = (name: string) => {
      const reads = { hostFacts: false, agentVersion: false };
      const value = templateContext(grid, allNodes(grid).find((n) => n.name === name)!, undefined, undefined, reads).qos.memorySwapMax;
      return { value, readFacts: reads.hostFacts };
    };
    expect(swapMaxBeforeFacts('n3')).toEqual({ value: null, readFacts: true });
    expect(swapMaxBeforeFacts('n1')).toEqual({ value: '0', readFacts: false });
    expect(swapMaxBeforeFacts('n4')).toEqual({ value: 'infinity', readFacts: false });
  });

  it("on a hypervisor node it also holds what the sandbox VM sends (sandbox-egress), so `--playbook qos` changes the VM's egress too; elsewhere it has no such entry", () => {
    const ids = (name: string) => {
      const node = allNodes(grid).find((n) => n.name === name)!;
      return instantiate(loadPlaybook('qos'), templateContext(grid, node, facts())).resources.map((r) => r.id);
    };
    expect(ids('n3')).toEqual(['systemd-unit grid.slice', 'egress-limit grid.slice', 'sandbox-egress gridops-sandbox']);
    expect(ids('n1')).not.toContain('sandbox-egress gridops-sandbox');
  });
});
