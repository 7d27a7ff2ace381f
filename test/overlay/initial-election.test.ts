import { electInitial, plannedBootstrapScore } from '../../src/overlay/initial-election.js';
import { agentOnlyFacts, type HostFacts } from '../../src/facts/host-facts.js';
import { renderPlan } from '../../src/plan/render.js';
import { PLAN_FORMAT } from '../../src/plan/plan.js';
import { templateContext } from '../../src/templates/render.js';
import { allNodes } from '../../src/topology/model.js';
import { facts, gridOf } from '../resources/fixtures.js';

const grid = gridOf(
  `regions:
  - name: r1
    subgrids:
      - name: a
        nodes:
          - { name: a1, address: 10.0.0.1 }
          - { name: a2, address: 10.0.0.2 }
          - { name: a3, address: 10.0.0.3, superPeer: never }
      - name: b
        nodes:
          - { name: b1, address: 10.0.1.1 }
          - { name: b2, address: 10.0.1.2, superPeer: prefer }
          - { name: b3, address: 10.0.1.3 }
`,
);

const machine = (cores: number, memGiB: number, agentVersion: string | null = null): HostFacts => ({ ...facts(), cpu: { cores, virtFlags: [] }, memoryBytes: memGiB * 2 ** 30, agentVersion });

describe('the initial election, from facts', () => {
  const fleet = new Map<string, HostFacts>([
    ['a1', machine(4, 8)],
    ['a2', machine(16, 64)],
    ['a3', machine(64, 256)], // the best machine, but superPeer: never
    ['b1', machine(8, 16)],
    ['b2', machine(8, 16)], // equal to b1, preferred
    ['b3', machine(8, 16)],
  ]);

  it("a sub-grid where the run read a node's agent version alone is not elected (its ranking would leave that node out), nor is its region's peer", () => {
    const mixed = new Map(fleet);
    mixed.set('b1', agentOnlyFacts(null));
    const e = electInitial(grid, mixed);
    expect(e.subgrids.map((s) => `${s.subgrid} ${s.status} ${s.superPeer}`)).toEqual(['a initial a2']);
    // No agent runs in r1: its region peer is not this run's to plan, and it says so, not "running".
    expect(e.regions).toEqual([{ region: 'r1', status: 'not-planned', regionPeer: null }]);
    // A running sub-grid is not ranked: its nodes' other facts are never read.
    mixed.set('b2', agentOnlyFacts('0.1.0'));
    expect(electInitial(grid, mixed).subgrids.find((s) => s.subgrid === 'b')).toMatchObject({ status: 'running', ranking: [] });
  });

  it('a sub-grid outside the run (--limit) is not reported as having no candidate, and its region peer is not planned', () => {
    const limited = new Map([...fleet].filter(([n]) => n.startsWith('b')));
    const e = electInitial(grid, limited, { selected: new Set(['b1', 'b2', 'b3']) });
    expect(e.subgrids.map((s) => [s.subgrid, s.status, s.superPeer])).toEqual([['b', 'initial', 'b2']]);
    expect(renderPlan({ format: PLAN_FORMAT, createdAt: '', gridopsVersion: '', topology: { file: 't', grid: 'g', sourceHash: '' }, playbooks: [], adHocPlaybooks: false, hosts: [], election: e })).not.toContain('may stand');
    expect(e.regions).toEqual([{ region: 'r1', status: 'not-planned', regionPeer: null }]);
    expect(electInitial(grid, new Map(), { selected: new Set(['zz']) })).toEqual({ subgrids: [], regions: [] });
  });

  it('elects the best score of each sub-grid, skipping never, counting prefer, ties to the lowest name', () => {
    const e = electInitial(grid, fleet);
    expect(e.subgrids.map((s) => [s.subgrid, s.status, s.superPeer])).toEqual([
      ['a', 'initial', 'a2'],
      ['b', 'initial', 'b2'],
    ]);
    expect(e.subgrids[0]!.ranking.map((r) => r.node)).toEqual(['a2', 'a1']);
    expect(e.subgrids[1]!.ranking.map((r) => r.node)).toEqual(['b2', 'b1', 'b3']);
    // The region peer, the better of the two super peers: b2 (8 cores, 16 GiB, preferred: 156.5) over a2 (16 cores, 64 GiB: 142.0).
    expect([e.subgrids[0]!.ranking[0]!.score, e.subgrids[1]!.ranking[0]!.score]).toEqual([142, 156.5]);
    expect(e.regions).toEqual([{ region: 'r1', status: 'initial', regionPeer: 'b2' }]);
  });

  it('is deterministic, and ranks by what the agents rank by', () => {
    expect(electInitial(grid, fleet)).toEqual(electInitial(grid, new Map([...fleet].reverse())));
    expect(plannedBootstrapScore(machine(8, 16), 'prefer')).toBeGreaterThan(plannedBootstrapScore(machine(8, 16), 'auto'));
    // The config gridops renders carries the same number the plan ranked by.
    const b2 = allNodes(grid).find((n) => n.name === 'b2')!;
    expect(templateContext(grid, b2, fleet.get('b2')).agent.bootstrapScore).toBe(electInitial(grid, fleet).subgrids[1]!.ranking[0]!.score);
    expect(templateContext(grid, b2).agent.bootstrapScore).toBeNull();
  });

  it('leaves sub-grids whose agents already run to them, and does not count unreachable nodes', () => {
    const partial = new Map(fleet);
    partial.set('a1', machine(4, 8, '0.1.0'));
    partial.delete('b2');
    const e = electInitial(grid, partial);
    expect(e.subgrids[0]).toMatchObject({ status: 'running', superPeer: null });
    expect(e.subgrids[1]).toMatchObject({ status: 'initial', superPeer: 'b1', unknown: ['b2'] });
    expect(e.regions[0]).toMatchObject({ status: 'running', regionPeer: null });
  });

  it('counts what the state says ran: a fresh sub-grid of a region whose other sub-grid ran agents is elected, the region keeps its peer; only nodes the run starts an agent on stand', () => {
    const recorded = { withAgent: new Set(['a1']), electedSubgrids: new Set<string>(), electedRegions: new Set<string>() };
    const e = electInitial(grid, new Map([...fleet].filter(([n]) => n.startsWith('b'))), { selected: new Set(['b1', 'b2', 'b3']), startsAgent: new Set(['b1', 'b3']), recorded });
    expect(e.subgrids.map((s) => [s.subgrid, s.status, s.superPeer, s.ranking.map((r) => r.node)])).toEqual([['b', 'initial', 'b1', ['b1', 'b3']]]);
    expect(e.regions).toEqual([{ region: 'r1', status: 'running', regionPeer: null }]);
    // A sub-grid the state records as elected runs, whatever this run read there.
    const elected = { ...recorded, withAgent: new Set<string>(), electedSubgrids: new Set(['r1/b']) };
    expect(electInitial(grid, fleet, { recorded: elected }).subgrids.map((s) => [s.subgrid, s.status])).toEqual([['a', 'initial'], ['b', 'running']]);
  });

  it('breaks a tie by the lowest name in byte order, as the agents do, not by topology order; and the plan says so (review finding 8)', () => {
    const listed = gridOf('regions: [{ name: r1, subgrids: [{ name: a, nodes: [{ name: z1, address: 10.0.0.1 }, { name: y1, address: 10.0.0.2 }, { name: y10, address: 10.0.0.3 }] }] }]\n');
    const e = electInitial(listed, new Map([['z1', machine(8, 16)], ['y1', machine(8, 16)], ['y10', machine(8, 16)]]));
    expect(e.subgrids[0]!.ranking.map((r) => r.node)).toEqual(['y1', 'y10', 'z1']);
    const text = renderPlan({ format: PLAN_FORMAT, createdAt: '', gridopsVersion: '', topology: { file: 'g.yaml', grid: 'g', sourceHash: '' }, playbooks: ['agent'], adHocPlaybooks: false, hosts: [], election: e });
    expect(text).toContain('best score wins, ties to the lowest name (byte order)');
  });

  it('is shown in the plan, explained', () => {
    const text = renderPlan({ format: PLAN_FORMAT, createdAt: '', gridopsVersion: '', topology: { file: 'g.yaml', grid: 'g', sourceHash: '' }, playbooks: ['agent'], adHocPlaybooks: false, hosts: [], election: electInitial(grid, fleet) });
    expect(text).toContain('Initial election (from facts');
    expect(text).toMatch(/super peer of r1\/a: a2 \(score [\d.]+: 16 cores, 64 GiB\), ahead of a1 \(score [\d.]+\)/);
    expect(text).toMatch(/super peer of r1\/b: b2 \(score [\d.]+: 8 cores, 16 GiB, preferred\), ahead of b1/);
    expect(text).toContain('region peer of r1: b2');
  });
});
