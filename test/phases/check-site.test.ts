import { jest } from '@jest/globals';
import { ConnectionError, PlanningError } from '../../src/errors/index.js';
import { checkSite, otherHosts, widened } from '../../src/phases/check-site.js';
import { RunContext } from '../../src/phases/run-context.js';
import { unreachableOutsideSite } from '../../src/phases/unreachable-outside-site.js';
import type { Plan } from '../../src/plan/plan.js';
import { statePaths, type GridState } from '../../src/state/state.js';
import { allNodes, type Node } from '../../src/topology/model.js';
import { gridOf } from '../resources/fixtures.js';

describe('--site says what it leaves alone', () => {
  it('as a person says it: one host plans and is, several plan and are, none goes unsaid', () => {
    expect(otherHosts(1)).toBe('; the 1 other host plans no change and is not touched');
    expect(otherHosts(5)).toBe('; the 5 other hosts plan no change and are not touched');
    expect(otherHosts(0)).toBe('');
  });
});

/**
 * A --site run never decommissions (find-removed-nodes; workflow.test pins it). Should a node being
 * decommissioned (recordedOnly) be in one all the same, its being unreachable is a decommission not
 * reached, with its own `state rm` hint, not an existing host whose "no change" went unchecked.
 */
describe('--site and a node being decommissioned (review 6)', () => {
  const grid = gridOf('regions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1 }] }, { name: s2, nodes: [{ name: n3, address: 10.0.0.3 }] }] }]\n');
  function siteRun() {
    const said: string[] = [];
    const ctx = new RunContext({ topologyFile: 't.yaml', concurrency: 1, acceptNewHostKeys: false, progress: (m) => said.push(m), site: 'r1/s2' });
    ctx.setGrid(grid, statePaths('t.yaml', grid.name));
    ctx.site = new Set(['n3']);
    // n1 is an existing host: the state records it applied (a node it does not know, not reached, would be new).
    jest.spyOn(ctx, 'recordedState').mockResolvedValue({ format: 'gridops-state/v1', grid: 'g', serial: 1, hosts: { n1: { topologyHash: 'x', playbooks: ['agent'], gridopsVersion: '0', agentVersion: '0.1.0', appliedAt: '2026-12-01T00:00:00Z', changesApplied: 1, lastOutcome: 'applied' } } } as unknown as GridState);
    ctx.recordedOnly = new Set(['n2']);
    const down = (name: string) => ({ node: { name } as Node, error: new ConnectionError(name, 'refused') });
    ctx.unreachable = [down('n1'), down('n2')];
    const host = (name: string, extra: object) => ({ host: name, address: '', playbooks: [], changes: [], notes: [], handlers: [], ...extra }) as unknown as Plan['hosts'][number];
    ctx.plan = { hosts: [host('n1', { error: { kind: 'unreachable', message: 'refused' } }), host('n2', { error: { kind: 'unreachable', message: 'refused' }, decommission: true }), host('n3', { changes: [{ id: 'x' }] })] } as unknown as Plan;
    return { ctx, said };
  }

  it('is neither among the existing hosts not checked nor subtracted from the topology\'s other hosts', async () => {
    const { ctx, said } = siteRun();
    await checkSite.run(ctx);
    expect(said).toContain('warning: could not check that the existing host n1 plans no change (not reached); this run does not touch it');
    expect(said).toContain('new site r1/s2: n3');
    expect(said.filter((m) => m.includes('n2'))).toEqual([]);
  });

  it('is not excused from the outcome as a host outside the site: the run fails with the `state rm` hint', () => {
    expect([...unreachableOutsideSite(siteRun().ctx)]).toEqual(['n1']);
  });
});

/**
 * A new region r2 of two new sub-grids, a (a1) and b (b1, b2), beside r1 (n1), which runs. `--site
 * r2/a` would bootstrap a alone and leave b planned but not applied: b's nodes are new hosts, not
 * existing ones, and the way out is the whole region (review 9).
 */
describe('--site and new hosts outside the site (review 9)', () => {
  const grid = gridOf('regions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1 }] }] }, { name: r2, subgrids: [{ name: a, nodes: [{ name: a1, address: 10.0.1.1 }] }, { name: b, nodes: [{ name: b1, address: 10.0.2.1 }, { name: b2, address: 10.0.2.2 }] }] }]\n');
  const applied = { topologyHash: 'x', playbooks: ['agent'], gridopsVersion: '0', agentVersion: '0.1.0', appliedAt: '2026-12-01T00:00:00Z', changesApplied: 1, lastOutcome: 'applied' };
  function siteRun(site: string, names: string[], drifted: string[] = []) {
    const ctx = new RunContext({ topologyFile: 't.yaml', concurrency: 1, acceptNewHostKeys: false, progress: () => undefined, site });
    ctx.setGrid(grid, statePaths('t.yaml', grid.name));
    ctx.site = new Set(names);
    jest.spyOn(ctx, 'recordedState').mockResolvedValue({ format: 'gridops-state/v1', grid: 'g', serial: 1, hosts: { n1: applied } } as unknown as GridState);
    const fresh = (name: string) => name !== 'n1';
    ctx.planned = allNodes(grid).map((node) => ({ session: { node, facts: { agentVersion: fresh(node.name) ? null : '0.1.0' } } }) as unknown as RunContext['planned'][number]);
    const host = (name: string) => ({ host: name, address: '', playbooks: [], changes: fresh(name) || drifted.includes(name) ? [{ id: 'x' }, { id: 'y' }] : [], notes: [], handlers: [] }) as unknown as Plan['hosts'][number];
    ctx.plan = { hosts: allNodes(grid).map((n) => host(n.name)) } as unknown as Plan;
    return ctx;
  }

  it('names the new sub-grid outside the site as new, not existing, and says to bootstrap the region whole', async () => {
    const err = await checkSite.run(siteRun('r2/a', ['a1'])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlanningError);
    expect((err as PlanningError).message).toBe('--site r2/a would leave these new hosts outside it not bootstrapped: b1 (2), b2 (2); nothing was changed');
    expect((err as PlanningError).hint).toBe(
      'b1 and b2 are new (no apply of them succeeded yet) but not of r2/a: a --site run bootstraps its site alone, and the plan\'s changes on them would not be made. Bootstrap them with the site: --site r2 (the new region whole: its sub-grids\' super peers elect its region peer together), or a plain apply, which bootstraps every new node; or pass --allow-existing-changes to widen this run to them',
    );
  });

  it('names existing hosts with changes as before, and new ones beside them as new', async () => {
    const err = await checkSite.run(siteRun('r2/a', ['a1'], ['n1'])).catch((e: unknown) => e);
    expect((err as PlanningError).message).toBe('--site r2/a would leave these existing hosts with planned changes: n1 (2), and these new hosts outside it not bootstrapped: b1 (2), b2 (2); nothing was changed');
    expect((err as PlanningError).hint).toMatch(/^a new site should need no change elsewhere: .*not only the site's\)\. b1 and b2 are new \(no apply of them succeeded yet\) but not of r2\/a: /);
  });

  it('with --allow-existing-changes, says which of the hosts it widens to are new', () => {
    expect(widened(1)).toBe('; the 1 existing host with planned changes is applied too (--allow-existing-changes)');
    expect(widened(0, 2)).toBe('; the 2 new hosts outside the site with planned changes are applied too (--allow-existing-changes)');
    expect(widened(1, 2)).toBe('; the 1 existing host and 2 new hosts outside the site with planned changes are applied too (--allow-existing-changes)');
  });

  /**
   * b1 and b2 new and not reached: they plan no change only because nothing was read. The run took
   * them for existing hosts not checked, bootstrapped a alone, called b1 and b2 existing and
   * excused them from the exit code: half a new region, exit 0 (review day2 2).
   */
  it('refuses new hosts outside the site that could not be reached, as it does those that plan changes', async () => {
    const said: string[] = [];
    const ctx = siteRun('r2/a', ['a1']);
    ctx.options.progress = (m) => said.push(m);
    const down = new Set(['b1', 'b2']);
    ctx.planned = ctx.planned.filter((p) => !down.has(p.session.node.name));
    ctx.plan = { hosts: ctx.plan.hosts.map((h) => (down.has(h.host) ? { ...h, changes: [], error: { kind: 'unreachable', message: 'refused' } } : h)) } as unknown as Plan;
    ctx.unreachable = [...down].map((name) => ({ node: { name } as Node, error: new ConnectionError(name, 'refused') }));
    const err = await checkSite.run(ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlanningError);
    expect((err as PlanningError).message).toBe('--site r2/a would leave these new hosts outside it not bootstrapped: b1 (not reached), b2 (not reached); nothing was changed');
    expect((err as PlanningError).hint).toMatch(/^b1 and b2 are new \(no apply of them succeeded yet\) but not of r2\/a: .* --site r2 \(the new region whole/);
    expect(said.filter((m) => m.includes('existing'))).toEqual([]);
  });

  it('with --allow-existing-changes, does not call a new host not reached an existing one', async () => {
    const said: string[] = [];
    const ctx = siteRun('r2/a', ['a1']);
    ctx.options.progress = (m) => said.push(m);
    ctx.options.allowExistingChanges = true;
    ctx.planned = ctx.planned.filter((p) => p.session.node.name !== 'b1');
    ctx.plan = { hosts: ctx.plan.hosts.map((h) => (h.host === 'b1' ? { ...h, changes: [], error: { kind: 'unreachable', message: 'refused' } } : h)) } as unknown as Plan;
    await checkSite.run(ctx);
    expect(said).toContain('warning: b1, new and outside the site, could not be planned');
    expect(said.filter((m) => m.includes('existing host b1'))).toEqual([]);
  });

  it('--site r2, the region whole, bootstraps both sub-grids', async () => {
    const ctx = siteRun('r2', ['a1', 'b1', 'b2']);
    await checkSite.run(ctx);
    expect([...ctx.site!]).toEqual(['a1', 'b1', 'b2']);
  });
});
