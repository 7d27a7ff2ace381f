import { assemblePlan, type HostPlanning } from '../../src/engine/planner.js';
import type { HostFacts } from '../../src/facts/host-facts.js';
import { AGENT_UNIT } from '../../src/overlay/agent-hosts.js';
import { plannedSuperPeersFirst } from '../../src/overlay/batch-strategy.js';
import { unlikePlan } from '../../src/overlay/unlike-plan.js';
import { renderPlan } from '../../src/plan/render.js';
import { groupBirths, NO_BIRTHS } from '../../src/state/group-births.js';
import type { GridState, HostState } from '../../src/state/state.js';
import { allNodes } from '../../src/topology/model.js';
import { facts, gridOf } from '../resources/fixtures.js';

/**
 * The plan's initial election as the planner assembles it: only the first elections this run
 * starts, judged with what the state says already ran (state/nodes-with-agent.ts), and the nodes
 * outside --limit said to be that, not unreachable.
 */
const grid = gridOf(
  `regions:
  - name: r1
    subgrids:
      - name: a
        nodes:
          - { name: a1, address: 10.0.0.1 }
          - { name: a2, address: 10.0.0.2 }
          - { name: a3, address: 10.0.0.3 }
          - { name: a4, address: 10.0.0.4 }
      - name: b
        nodes:
          - { name: b1, address: 10.0.1.1 }
          - { name: b2, address: 10.0.1.2 }
          - { name: b3, address: 10.0.1.3 }
`,
);
const nodeOf = (name: string) => allNodes(grid).find((n) => n.name === name)!;
const machine = (cores: number, agentVersion: string | null = null): HostFacts => ({ ...facts(), cpu: { cores, virtFlags: [] }, memoryBytes: 8 * 2 ** 30, agentVersion });

/** A host read and planned: `agent` when this run manages gridagent.service there. */
function planned(name: string, hostFacts: HostFacts, agent: boolean): HostPlanning {
  const node = nodeOf(name);
  const plan = { host: name, address: node.address, playbooks: [], changes: [], notes: [], handlers: [] };
  return { plan, planned: { session: { node, facts: hostFacts }, plan, resources: new Map(), handlers: [], managedUnits: new Set(agent ? [AGENT_UNIT] : []), kernelEntries: {} } as unknown as NonNullable<HostPlanning['planned']> };
}

/** A state whose hosts `ran` ran the agent playbook (recordRanAgent), placed in the topology. */
function stateWhere(ran: string[]): GridState {
  const hosts: Record<string, HostState> = {};
  for (const name of ran) {
    const n = nodeOf(name);
    hosts[name] = { node: { address: n.address, region: n.region, subgrid: n.subgrid, user: 'root', port: 22 }, topologyHash: '', playbooks: ['node-base', 'agent'], gridopsVersion: '', agentVersion: null, appliedAt: '2026-12-05T00:00:00Z' } as unknown as HostState;
  }
  return { format: 'gridops-state/v1', grid: grid.name, serial: 1, hosts };
}

const asPlan = (p: ReturnType<typeof assemblePlan>) => renderPlan(p);

describe("the plan's initial election, through the planner", () => {
  it('a node added under --limit to a sub-grid whose agents the state says ran is not elected: the sub-grid keeps its super peer, and the apply finds nothing unlike the plan', () => {
    const plan = assemblePlan(grid, [planned('a4', machine(64), true)], [], { refs: ['agent'], adHoc: false }, groupBirths(stateWhere(['a1', 'a2', 'a3'])));
    expect(plan.election?.subgrids.map((s) => [`${s.region}/${s.subgrid}`, s.status])).toEqual([['r1/a', 'running']]);
    expect(plan.election?.regions).toEqual([{ region: 'r1', status: 'running', regionPeer: null }]);
    const text = asPlan(plan);
    expect(text).not.toContain('Initial election');
    expect(text).not.toContain('unreachable');
    expect(text).toContain('agents already run in 1 sub-grid');
    const agreement = { converged: true, superPeers: { 'r1/a': 'a1' }, regionPeers: { r1: 'a1' }, waitingFor: [] };
    expect(unlikePlan(plan.election!, agreement)).toEqual([]);
  });

  it('a run that deploys no agent elects no fresh sub-grid, and does not put planned super peers first', () => {
    const hosts = [planned('a1', machine(4, '0.1.0'), false), planned('a2', machine(4, '0.1.0'), false), planned('a3', machine(4, '0.1.0'), false), planned('a4', machine(4, '0.1.0'), false), planned('b1', machine(4), false), planned('b2', machine(64), false), planned('b3', machine(4), false)];
    const plan = assemblePlan(grid, hosts, [], { refs: ['node-base'], adHoc: true }, groupBirths(stateWhere(['a1', 'a2', 'a3', 'a4'])));
    expect(plan.election?.subgrids.map((s) => [s.subgrid, s.status])).toEqual([['a', 'running']]);
    expect(asPlan(plan)).not.toContain('Initial election');
    const changed = hosts.map((h) => ({ host: h.plan.host, region: 'r1', subgrid: h.plan.host[0]! }));
    expect(plannedSuperPeersFirst(plan.election).batches(changed)).toHaveLength(1);
  });

  it('nodes outside --limit are said to be that, not unreachable; a region with a sub-grid outside the run is not planned, not "running"', () => {
    const plan = assemblePlan(grid, [planned('b1', machine(4), true), planned('b2', machine(64), true)], [], { refs: ['agent'], adHoc: false }, NO_BIRTHS);
    expect(plan.election?.subgrids).toMatchObject([{ subgrid: 'b', status: 'initial', superPeer: 'b2', unknown: [], outsideLimit: ['b3'] }]);
    expect(plan.election?.regions).toEqual([{ region: 'r1', status: 'not-planned', regionPeer: null }]);
    const text = asPlan(plan);
    expect(text).toContain('not counted (outside --limit): b3');
    expect(text).not.toContain('unreachable');
    expect(text).toContain('region peer of r1: not planned, not all of its sub-grids start fresh in this run');
  });

  it('a node of the run it could not reach is still called unreachable', () => {
    const plan = assemblePlan(grid, [planned('b1', machine(4), true), planned('b2', machine(64), true)], [{ node: nodeOf('b3'), error: new Error('cannot connect') }], { refs: ['agent'], adHoc: false }, NO_BIRTHS);
    expect(plan.election?.subgrids).toMatchObject([{ subgrid: 'b', status: 'initial', unknown: ['b3'], outsideLimit: [] }]);
    expect(asPlan(plan)).toContain('not counted (unreachable): b3');
  });
});
