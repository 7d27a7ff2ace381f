import { PlanningError } from '../../src/errors/index.js';
import type { HostFacts } from '../../src/facts/host-facts.js';
import { TEMPLATES_DIR, renderTemplateFile, templateContext } from '../../src/templates/render.js';
import { allNodes } from '../../src/topology/model.js';
import { facts as hostFacts, smallGrid } from '../resources/fixtures.js';

/** grid.slice as the qos playbook renders it for n1, under `qos` defaults, on a host with these facts. */
function gridSlice(qos: string, facts: HostFacts): string {
  const grid = smallGrid(`defaults: { qos: ${qos} }`);
  const node = allNodes(grid).find((n) => n.name === 'n1')!;
  return renderTemplateFile(`${TEMPLATES_DIR}qos/grid.slice.hbs`, templateContext(grid, node, facts));
}

const withControllers = (cgroupControllers: string[] | undefined, cores = 2): HostFacts => ({ ...hostFacts(), cpu: { cores, virtFlags: [] }, ...(cgroupControllers ? { cgroupControllers } : {}) });

/** The plan error rendering throws (the planner makes it that node's error). */
function planError(render: () => unknown): PlanningError {
  try {
    render();
  } catch (e) {
    if (e instanceof PlanningError) return e;
    throw e;
  }
  throw new Error('rendered without a plan error');
}

describe('grid.slice: limits the node cannot enforce are a plan error for that node, not a unit systemd takes and ignores', () => {
  it('a memory cap on a node without the memory controller (cgroup_disable=memory, a container the host delegated none)', () => {
    const e = planError(() => gridSlice('{ gridMemoryMiB: 512 }', withControllers(['cpu', 'cpuset', 'pids'])));
    expect(e.message).toBe("n1: qos.gridMemoryMiB (512 MiB) limits grid.slice's memory, but n1 has no cgroup memory controller, so systemd would ignore MemoryMax=");
    expect(e.hint).toContain('enable the memory controller on n1');
    expect(e.hint).toContain('or remove qos.gridMemoryMiB for this node');
  });

  it('a CPU share below 100% on a node without the cpu controller', () => {
    const e = planError(() => gridSlice('{ gridCpuPercent: 50 }', withControllers(['memory', 'pids'])));
    expect(e.message).toBe("n1: qos.gridCpuPercent (50%) limits grid.slice's CPU, but n1 has no cgroup cpu controller, so systemd would ignore CPUQuota=");
  });

  it('a CPU count that could not be read (0): CPUQuota=0% would be no limit at all', () => {
    const e = planError(() => gridSlice('{ gridCpuPercent: 50 }', withControllers(['cpu', 'memory'], 0)));
    expect(e.message).toContain("n1: qos.gridCpuPercent needs the node's CPU count for grid.slice's CPUQuota, and it could not be read");
  });

  it('renders where the controllers are there, where no limit needs one (100% CPU, no memory cap), and from facts that do not list them (an older gridops)', () => {
    expect(gridSlice('{ gridCpuPercent: 50, gridMemoryMiB: 512 }', withControllers(['cpu', 'memory']))).toContain('CPUQuota=100%\nMemoryAccounting=yes\nMemoryMax=512M');
    expect(gridSlice('{ gridCpuPercent: 100 }', withControllers([]))).toContain('CPUQuota=200%\nMemoryAccounting=yes\nMemoryMax=infinity');
    expect(gridSlice('{ gridCpuPercent: 50, gridMemoryMiB: 512 }', withControllers(undefined))).toContain('MemoryMax=512M');
  });
});
