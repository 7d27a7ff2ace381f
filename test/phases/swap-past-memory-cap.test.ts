import type { PlannedHost } from '../../src/engine/planner.js';
import { agentOnlyFacts, type HostFacts } from '../../src/facts/host-facts.js';
import { whyMemorySwapMaxIgnored } from '../../src/facts/memory-swap-max.js';
import { planChanges } from '../../src/phases/plan-changes.js';
import { RunContext } from '../../src/phases/run-context.js';
import { swapPastMemoryCap } from '../../src/phases/swap-past-memory-cap.js';
import { countPlan, hasChanges, PLAN_FORMAT, type Plan } from '../../src/plan/plan.js';
import { renderPlan } from '../../src/plan/render.js';
import { allNodes } from '../../src/topology/model.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { facts, gridOf } from '../resources/fixtures.js';

/** a1 to a4 cap grid work's memory; a5 does not. */
const capped = (i: number) => `{ name: a${i}, address: 10.0.0.${i}, qos: { gridMemoryMiB: 4096 } }`;
const grid = gridOf(`regions: [{ name: r1, subgrids: [{ name: s1, nodes: [${[1, 2, 3, 4].map(capped).join(', ')}, { name: a5, address: 10.0.0.5 }] }] }]
`);

type Layout = Pick<HostFacts, 'cgroup' | 'swapAccounting'>;

/** Every node planned with `playbooks`; `layouts` gives a node's cgroup layout (default: v2 with swap accounting). */
function planned(layouts: Record<string, Layout>, playbooks = ['node-base', 'qos', 'agent']): PlannedHost[] {
  return allNodes(grid).map((node) => ({
    session: { node, transport: new RecordingTransport(node.name), facts: { ...facts(), ...layouts[node.name] } },
    resources: new Map(),
    handlers: [],
    managedUnits: new Set<string>(),
    kernelEntries: {},
    plan: { host: node.name, address: node.address, playbooks, changes: [], notes: [], handlers: [] },
  }));
}

const planOf = (swap?: Plan['swapPastMemoryCap']): Plan => ({ format: PLAN_FORMAT, createdAt: '', gridopsVersion: '', topology: { file: 't', grid: 'g', sourceHash: '' }, playbooks: [], adHocPlaybooks: false, hosts: [], ...(swap ? { swapPastMemoryCap: swap } : {}) });

describe('MemorySwapMax= of grid.slice, from the facts', () => {
  it('takes effect only where the memory controller is on the unified (v2) hierarchy and accounts swap', () => {
    expect(whyMemorySwapMaxIgnored({ ...facts(), cgroup: 'v2', swapAccounting: true })).toBeNull();
    expect(whyMemorySwapMaxIgnored({ ...facts(), cgroup: 'hybrid', swapAccounting: true })).toBe('cgroup-v1');
    expect(whyMemorySwapMaxIgnored({ ...facts(), cgroup: 'v1', swapAccounting: false })).toBe('cgroup-v1');
    expect(whyMemorySwapMaxIgnored({ ...facts(), cgroup: 'v2', swapAccounting: false })).toBe('no-swap-accounting');
  });

  it('says nothing for a host with no swap at all: there is nothing to swap to (facts of an older read, without SwapTotal, still may)', () => {
    expect(whyMemorySwapMaxIgnored({ ...facts(), cgroup: 'hybrid', swapAccounting: false, swapBytes: 0 })).toBeNull();
    expect(whyMemorySwapMaxIgnored({ ...facts(), cgroup: 'v2', swapAccounting: false, swapBytes: 0 })).toBeNull();
    expect(whyMemorySwapMaxIgnored({ ...facts(), cgroup: 'hybrid', swapAccounting: false, swapBytes: 2 ** 30 })).toBe('cgroup-v1');
    const { swapBytes: _, ...older } = { ...facts(), cgroup: 'hybrid' as const, swapAccounting: false, swapBytes: 0 };
    expect(whyMemorySwapMaxIgnored(older)).toBe('cgroup-v1');
  });
});

describe('grid work that may swap past its memory cap: said once per run, never a change', () => {
  const v1: Layout = { cgroup: 'v1', swapAccounting: true };
  const hybrid: Layout = { cgroup: 'hybrid', swapAccounting: false };
  const noAccounting: Layout = { cgroup: 'v2', swapAccounting: false };

  it('names the capped hosts of the qos playbook whose cgroups ignore MemorySwapMax=, by reason', () => {
    expect(swapPastMemoryCap(planned({ a1: v1, a2: hybrid, a3: noAccounting }), new Set())).toEqual({ cgroupV1: ['a1', 'a2'], noSwapAccounting: ['a3'] });
  });

  it('says nothing of v2 hosts that account swap, of a host without gridMemoryMiB, of a run without qos, nor of a host being removed', () => {
    expect(swapPastMemoryCap(planned({}), new Set())).toBeUndefined();
    expect(swapPastMemoryCap(planned({ a5: v1 }), new Set())).toBeUndefined();
    expect(swapPastMemoryCap(planned({ a1: v1 }, ['node-base']), new Set())).toBeUndefined();
    expect(swapPastMemoryCap(planned({ a1: v1, a2: v1 }), new Set(['a1']))).toEqual({ cgroupV1: ['a2'], noSwapAccounting: [] });
  });

  it('reads no fact of a host whose read gathered only the agent version', () => {
    const [a1] = planned({});
    expect(swapPastMemoryCap([{ ...a1!, session: { ...a1!.session, facts: agentOnlyFacts('0.1.0') } }], new Set())).toBeUndefined();
  });

  it('renders one line per reason, hosts compressed, with the remedy', () => {
    const text = renderPlan(planOf({ cgroupV1: ['a1', 'a2'], noSwapAccounting: ['a3'] }));
    expect(text.split('\n').filter((l) => l.startsWith('QoS:'))).toEqual([
      'QoS: grid work on a1 and a2 may swap past its memory cap (qos.gridMemoryMiB): their memory controller is on cgroup v1, where systemd ignores grid.slice\'s MemorySwapMax=0; boot them with systemd.unified_cgroup_hierarchy=1 on the kernel command line (the default since Debian 11: remove a systemd.unified_cgroup_hierarchy=0 from GRUB_CMDLINE_LINUX in /etc/default/grub, run update-grub, reboot) to enforce it.',
      'QoS: grid work on a3 may swap past its memory cap (qos.gridMemoryMiB): its kernel does not account swap (no memory.swap.max), so systemd cannot set grid.slice\'s MemorySwapMax=0; boot it with swapaccount=1 on the kernel command line to enforce it.',
    ]);
    expect(renderPlan(planOf({ cgroupV1: ['a1', 'a2', 'a3', 'a4', 'a5'], noSwapAccounting: [] }))).toContain('QoS: grid work on a1, a2, a3 and 2 more hosts may swap past');
    expect(renderPlan(planOf())).not.toContain('QoS:');
  });

  it('is no change: the plan still has none (plan --detailed-exitcode exits 0)', () => {
    const plan = planOf({ cgroupV1: ['a1'], noSwapAccounting: [] });
    expect(hasChanges(plan)).toBe(false);
    expect(countPlan(plan).hostsWithChanges).toBe(0);
    expect(renderPlan(plan)).toMatch(/\nNo changes\. 0 hosts match the topology\.$/);
  });

  it('is in the plan the plan phase makes, so in plan --json and a saved plan', async () => {
    const ctx = new RunContext({ topologyFile: 't', progress: () => {} } as unknown as ConstructorParameters<typeof RunContext>[0]);
    ctx.setGrid(grid, {} as never);
    ctx.workflow = { byNode: new Map(), refs: ['node-base', 'qos', 'agent'], adHoc: false };
    ctx.readings = planned({ a1: hybrid, a2: hybrid }).map((p) => ({ plan: p.plan, planned: p }));
    await planChanges.run(ctx);
    expect(JSON.parse(JSON.stringify(ctx.plan)).swapPastMemoryCap).toEqual({ cgroupV1: ['a1', 'a2'], noSwapAccounting: [] });
  });
});
