import type { HostSession } from '../../src/facts/host-session.js';
import { planChanges } from '../../src/phases/plan-changes.js';
import { RunContext } from '../../src/phases/run-context.js';
import { renderPlan } from '../../src/plan/render.js';
import { statePaths } from '../../src/state/state.js';
import type { BootstrapElectorate } from '../../src/templates/bootstrap-electorate.js';
import { allNodes } from '../../src/topology/model.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { gridOf, facts } from '../resources/fixtures.js';

/** The plan of a --limit run on a brand-new grid: `limit`'s nodes get the agent and `bootstrap`. */
async function planUnderLimit(topology: string, limit: string[], bootstrap: (node: string) => BootstrapElectorate, unreachable: string[] = []): Promise<RunContext> {
  const grid = gridOf(topology, `/tmp/gridops-plan-waits-${process.pid}-${Math.random().toString(36).slice(2)}.yaml`);
  const ctx = new RunContext({ topologyFile: grid.file, concurrency: 2, acceptNewHostKeys: false, progress: () => undefined, limit });
  ctx.setGrid(grid, statePaths(grid.file, grid.name));
  ctx.workflow = { byNode: new Map(), refs: ['agent'], adHoc: false };
  ctx.readings = allNodes(grid)
    .filter((n) => limit.includes(n.name) && !unreachable.includes(n.name))
    .map((node) => {
      const session: HostSession = { node, facts: { ...facts(), agentVersion: null }, transport: new RecordingTransport(node.name) };
      const plan = { host: node.name, address: node.address, playbooks: ['agent'], changes: [], notes: [], handlers: [] };
      return { plan, planned: { session, plan, resources: new Map(), handlers: [], managedUnits: new Set(['gridagent.service']), kernelEntries: {}, bootstrap: bootstrap(node.name) } };
    });
  ctx.unreachable = allNodes(grid)
    .filter((n) => unreachable.includes(n.name))
    .map((node) => ({ node, error: new Error(`${node.name}: cannot connect`) }));
  await planChanges.run(ctx);
  return ctx;
}

describe("the plan's initial election under --limit, when a first election waits for voters outside the run (review finding 1)", () => {
  it('a new 3-node sub-grid with only a1 in the run: the election line says whom it waits for', async () => {
    const ctx = await planUnderLimit(
      'regions: [{ name: r1, subgrids: [{ name: a, nodes: [{ name: a1, address: 10.0.0.1 }, { name: a2, address: 10.0.0.2 }, { name: a3, address: 10.0.0.3 }] }] }]\n',
      ['a1'],
      () => ({ subgrid: ['a1', 'a2', 'a3'], region: ['a'], peerRegions: [] }),
    );
    expect(ctx.plan.election!.subgrids[0]).toMatchObject({ status: 'initial', superPeer: 'a1', waitsFor: ['a2', 'a3'] });
    const text = renderPlan(ctx.plan);
    expect(text).toMatch(/ {2}super peer of r1\/a: a1 \(score [^\n]*; its first election waits for a2, a3 \(outside --limit\)\n/);
    expect(text).toMatch(/ {2}region peer of r1: a1 \(the best of its super peers\); its first election waits for sub-grid a \(waiting too\)\n/);
  });

  it('two of three in the run may elect on their own: no caveat', async () => {
    const ctx = await planUnderLimit(
      'regions: [{ name: r1, subgrids: [{ name: a, nodes: [{ name: a1, address: 10.0.0.1 }, { name: a2, address: 10.0.0.2 }, { name: a3, address: 10.0.0.3 }] }] }]\n',
      ['a1', 'a2'],
      () => ({ subgrid: ['a1', 'a2', 'a3'], region: ['a'], peerRegions: [] }),
    );
    expect(ctx.plan.election!.subgrids[0]).not.toHaveProperty('waitsFor');
    expect(renderPlan(ctx.plan)).not.toContain('waits for');
  });

  it('selected nodes not reached are waited for as unreachable, not as outside --limit, and said once', async () => {
    const ctx = await planUnderLimit(
      'regions: [{ name: r1, subgrids: [{ name: a, nodes: [{ name: a1, address: 10.0.0.1 }, { name: a2, address: 10.0.0.2 }, { name: a3, address: 10.0.0.3 }, { name: a4, address: 10.0.0.4 }, { name: a5, address: 10.0.0.5 }] }] }]\n',
      ['a1', 'a2', 'a3'],
      () => ({ subgrid: ['a1', 'a2', 'a3', 'a4', 'a5'], region: ['a'], peerRegions: [] }),
      ['a2', 'a3'],
    );
    const text = renderPlan(ctx.plan);
    expect(text).toMatch(/ {2}super peer of r1\/a: a1 \(score [^;\n]*\); its first election waits for a2, a3 \(unreachable\) and a4, a5 \(outside --limit\)\n/);
  });

  it('--limit one sub-grid of a new two-sub-grid region: the plan says whom the region vote waits for, as verify does', async () => {
    const ctx = await planUnderLimit(
      'regions: [{ name: r1, subgrids: [{ name: a, nodes: [{ name: a1, address: 10.0.0.1 }] }, { name: b, nodes: [{ name: b1, address: 10.0.0.2 }] }] }]\n',
      ['a1'],
      (node) => ({ subgrid: [node], region: ['a', 'b'], peerRegions: [] }),
    );
    expect(ctx.plan.election!.regions[0]).toMatchObject({ status: 'not-planned', waitsFor: ['b'] });
    expect(renderPlan(ctx.plan)).toContain('  region peer of r1: not planned; its first election waits for sub-grid b (outside --limit)\n');
  });

  it('--limit both sub-grids of a new region, one of them not reached: the region line says it waits for that sub-grid as unreachable, not as outside --limit', async () => {
    const ctx = await planUnderLimit(
      'regions: [{ name: r1, subgrids: [{ name: a, nodes: [{ name: a1, address: 10.0.0.1 }] }, { name: b, nodes: [{ name: b1, address: 10.0.0.2 }] }] }]\n',
      ['a1', 'b1'],
      (node) => ({ subgrid: [node], region: ['a', 'b'], peerRegions: [] }),
      ['b1'],
    );
    expect(renderPlan(ctx.plan)).toContain('  region peer of r1: not planned; its first election waits for sub-grid b (unreachable)\n');
  });
});
