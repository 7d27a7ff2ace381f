import type { PlannedHost } from '../../src/engine/planner.js';
import { agentRestartsAtOnce, restartsAgent } from '../../src/phases/agent-restarts-at-once.js';
import { PLAN_FORMAT, type Plan } from '../../src/plan/plan.js';
import { renderPlan } from '../../src/plan/render.js';
import { planChanges } from '../../src/phases/plan-changes.js';
import { RunContext } from '../../src/phases/run-context.js';
import type { ApplyOptions } from '../../src/phases/run-options.js';
import { allNodes } from '../../src/topology/model.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { facts, gridOf } from '../resources/fixtures.js';

/** Sub-grids of 3 (s1), 2 (s2) and 1 (s3) nodes. */
const node = (i: number) => `{ name: n${i}, address: 10.0.0.${i} }`;
const grid = gridOf(`regions: [{ name: r1, subgrids: [
  { name: s1, nodes: [${[1, 2, 3].map(node).join(', ')}] },
  { name: s2, nodes: [${[4, 5].map(node).join(', ')}] },
  { name: s3, nodes: [${node(6)}] }] }]
`);

const RESTART = { name: 'restart-gridagent', command: 'systemctl restart gridagent.service' };

/**
 * Every node planned, with a running agent unless named in `fresh`; the nodes in `restart` get a
 * new config.yaml that notifies the agent's restart handler, the others no change.
 */
function planned(restart: string[], fresh: string[] = []): PlannedHost[] {
  return allNodes(grid).map((node) => ({
    session: { node, transport: new RecordingTransport(node.name), facts: { ...facts(), agentVersion: fresh.includes(node.name) ? null : '0.1.0' } },
    resources: new Map(),
    handlers: [RESTART],
    managedUnits: new Set<string>(),
    kernelEntries: {},
    plan: { host: node.name, address: node.address, playbooks: ['agent'], changes: [], notes: [], handlers: restart.includes(node.name) ? [RESTART.name] : [] },
  }));
}

const planOf = (agentRestarts?: Plan['agentRestarts']): Plan => ({ format: PLAN_FORMAT, createdAt: '', gridopsVersion: '', topology: { file: 't', grid: 'g', sourceHash: '' }, playbooks: [], adHocPlaybooks: false, hosts: [], ...(agentRestarts ? { agentRestarts } : {}) });

describe('agents a plain apply restarts at once (review M2)', () => {
  it('a notified handler that restarts gridagent restarts it; a host with no agent yet only starts one', () => {
    const [n1, n2] = planned(['n1', 'n2'], ['n2']);
    expect(restartsAgent(n1!)).toBe(true);
    expect(restartsAgent(n2!)).toBe(false);
    expect(restartsAgent(planned([])[0]!)).toBe(false);
  });

  it('names the sub-grids whose running agents all, or most, restart; not a sub-grid of one, nor one that keeps most running', () => {
    expect(agentRestartsAtOnce(grid, planned(['n1', 'n2', 'n3', 'n4', 'n5', 'n6']), new Set())).toEqual({ every: ['r1/s1', 'r1/s2'], most: [] });
    expect(agentRestartsAtOnce(grid, planned(['n1', 'n2', 'n4', 'n5']), new Set())).toEqual({ every: ['r1/s2'], most: ['r1/s1'] });
    expect(agentRestartsAtOnce(grid, planned(['n1', 'n4', 'n6']), new Set())).toBeUndefined();
  });

  it('counts a node the run does not plan (--limit, unreachable) as keeping its agent, and leaves out nodes being removed', () => {
    const limited = planned(['n1', 'n2']).filter((p) => p.session.node.name !== 'n3');
    expect(agentRestartsAtOnce(grid, limited, new Set())).toEqual({ every: [], most: ['r1/s1'] });
    expect(agentRestartsAtOnce(grid, planned(['n1', 'n2']), new Set(['n3']))).toEqual({ every: ['r1/s1'], most: [] });
  });

  it('is said once for the run, after the hosts, unless the apply is rolling', () => {
    const text = renderPlan(planOf({ every: ['r1/s1', 'r1/s2'], most: [] }));
    expect(text.split('\n').filter((l) => l.includes('restarts the agents'))).toEqual([
      'Agents: restarts the agents of every node of 2 sub-grids at once (r1/s1, r1/s2): each is without a super peer for a few seconds; `--rolling` restarts them a batch at a time.',
    ]);
    expect(renderPlan(planOf({ every: ['r1/s2'], most: ['r1/s1'] }))).toContain('Agents: restarts the agents of every node of 1 sub-grid and most nodes of 1 more at once (r1/s2, r1/s1): each is without');
    expect(renderPlan(planOf({ every: [], most: ['r1/s1'] }))).toContain('Agents: restarts the agents of most nodes of 1 sub-grid at once (r1/s1): it is without a super peer');
    expect(renderPlan(planOf())).not.toContain('restarts the agents');
  });
});

describe('whether the run restarts agents at once is the batch strategy\'s call (review s32 M1)', () => {
  /** The plan phase of a run with `options`, every node's agent restarted; `site` is the site's nodes. */
  async function planWith(options: Partial<ApplyOptions>, site?: string[]): Promise<Plan> {
    const ctx = new RunContext({ topologyFile: 't', progress: () => {}, ...options } as ConstructorParameters<typeof RunContext>[0]);
    ctx.setGrid(grid, {} as never);
    ctx.workflow = { byNode: new Map(), refs: ['agent'], adHoc: false };
    ctx.readings = planned(['n1', 'n2', 'n3', 'n4', 'n5', 'n6']).map((p) => ({ plan: p.plan, planned: p }));
    if (site) ctx.site = new Set(site);
    await planChanges.run(ctx);
    return ctx.plan;
  }

  it('a plain apply says so; --rolling and a run of only a new site restart none at once; --site --allow-existing-changes does, and says so', async () => {
    expect((await planWith({})).agentRestarts).toEqual({ every: ['r1/s1', 'r1/s2'], most: [] });
    expect((await planWith({ rolling: true })).agentRestarts).toBeUndefined();
    expect((await planWith({ site: 'r1/s3' }, ['n6'])).agentRestarts).toBeUndefined();
    // The existing hosts are applied too, in one batch (choose-batch-strategy.ts): their agents restart at once.
    expect((await planWith({ site: 'r1/s3', allowExistingChanges: true }, ['n6'])).agentRestarts).toEqual({ every: ['r1/s1', 'r1/s2'], most: [] });
  });

  it('a --site naming sub-grids that already run says so too: their agents are restarted at once (review site 1)', async () => {
    expect((await planWith({ site: 'r1' }, ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'])).agentRestarts).toEqual({ every: ['r1/s1', 'r1/s2'], most: [] });
    // Only the site's hosts are applied: the agents outside it are taken to keep running.
    expect((await planWith({ site: 'r1/s1' }, ['n1', 'n2', 'n3'])).agentRestarts).toEqual({ every: ['r1/s1'], most: [] });
  });
});
