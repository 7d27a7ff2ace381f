import { ConnectionError } from '../../src/errors/index.js';
import { checkSite, otherHosts } from '../../src/phases/check-site.js';
import { RunContext } from '../../src/phases/run-context.js';
import { unreachableOutsideSite } from '../../src/phases/unreachable-outside-site.js';
import type { Plan } from '../../src/plan/plan.js';
import { statePaths } from '../../src/state/state.js';
import type { Node } from '../../src/topology/model.js';
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
