import { jest } from '@jest/globals';
import type { PlannedHost } from '../../src/engine/planner.js';
import { PlanningError } from '../../src/errors/index.js';
import { checkRollingBudget } from '../../src/phases/check-rolling-budget.js';
import { checkNamedVoters } from '../../src/phases/check-named-voters.js';
import { downOutsideRun } from '../../src/phases/down-outside-run.js';
import { rolloutSizes } from '../../src/phases/rollout-sizes.js';
import type { AgentView } from '../../src/overlay/agent-view.js';
import { peersNow } from '../../src/overlay/super-peers-now.js';
import { runMessages } from '../../src/formatters/run-messages.js';
import { RunContext } from '../../src/phases/run-context.js';
import { statePaths, type GridState } from '../../src/state/state.js';
import type { Change } from '../../src/plan/change.js';
import { PLAN_FORMAT } from '../../src/plan/plan.js';
import { allNodes } from '../../src/topology/model.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { facts, gridOf } from '../resources/fixtures.js';

/** Sub-grids of 3 (s1), 2 (s2) and 1 (s3) nodes in one region. */
const node = (i: number) => `{ name: n${i}, address: 10.0.0.${i} }`;
const grid = (maxUnavailable = '1') =>
  gridOf(`rollout: { maxUnavailable: ${maxUnavailable}, healthTimeout: 5s }
regions: [{ name: r1, subgrids: [
  { name: s1, nodes: [${[1, 2, 3].map(node).join(', ')}] },
  { name: s2, nodes: [${[4, 5].map(node).join(', ')}] },
  { name: s3, nodes: [${node(6)}] }] }]
`);

/** One sub-grid of 5 nodes. */
const grid5 = (maxUnavailable = '1') =>
  gridOf(`rollout: { maxUnavailable: ${maxUnavailable}, healthTimeout: 5s }
regions: [{ name: r1, subgrids: [{ name: s1, nodes: [${[1, 2, 3, 4, 5].map(node).join(', ')}] }] }]
`);

const RESTART = { name: 'restart-gridagent', command: 'systemctl restart gridagent.service' };
const newConfig = { kind: 'file', id: 'file /etc/gridagent/config.yaml', action: 'update', summary: 'update /etc/gridagent/config.yaml', path: '/etc/gridagent/config.yaml', fields: [], contentSha256: 'x', sensitive: false } as unknown as Change;

/** What a state records of a host that ran the agent. */
const ranAgent = { topologyHash: 'x', playbooks: ['node-base', 'qos', 'agent'], gridopsVersion: '0', agentVersion: '0.1.0', appliedAt: '', changesApplied: 0, lastOutcome: 'applied' };

/** A state in which `names` ran the agent, and no other node has a record. */
const stateWith = (names: string[]) => ({ version: 1, grid: 'g', hosts: Object.fromEntries(names.map((name) => [name, ranAgent])) }) as unknown as GridState;

/** The state of a grid every node of which ran the agent. */
const ranEverywhere = (ctx: RunContext) => stateWith(allNodes(ctx.grid).map((n) => n.name));

/**
 * A rolling run's context after planning: every node with a running agent and a new config that
 * restarts it, except the `unreachable` ones, which could not be connected. The state the run
 * read says every node of the grid ran the agent, unless `recorded` names the ones it has.
 */
function contextWith(g: ReturnType<typeof grid>, unreachable: string[] = [], options: { rolling?: boolean } = { rolling: true }, recorded?: string[]) {
  const said: string[] = [];
  const ctx = new RunContext({ topologyFile: 't.yaml', concurrency: 10, acceptNewHostKeys: false, progress: (m) => said.push(m), failFast: false, ...options });
  ctx.setGrid(g, statePaths('t.yaml', g.name));
  const nodes = allNodes(g);
  const state = stateWith(recorded ?? nodes.map((n) => n.name));
  jest.spyOn(ctx, 'recordedState').mockResolvedValue(state);
  ctx.unreachable = nodes.filter((n) => unreachable.includes(n.name)).map((node) => ({ node, error: new Error(`${node.name}: cannot connect: timed out`) }));
  ctx.planned = nodes
    .filter((n) => !unreachable.includes(n.name))
    .map(
      (node): PlannedHost => ({
        session: { node, transport: new RecordingTransport(node.name), facts: { ...facts(), agentVersion: '0.1.0' } },
        resources: new Map(),
        handlers: [RESTART],
        managedUnits: new Set<string>(),
        kernelEntries: {},
        plan: { host: node.name, address: node.address, playbooks: ['agent'], changes: [newConfig], notes: [], handlers: [RESTART.name] },
      }),
    );
  ctx.plan = { format: PLAN_FORMAT, createdAt: '', gridopsVersion: '', topology: { file: 't.yaml', grid: 'g', sourceHash: '' }, playbooks: ['agent'], adHocPlaybooks: false, hosts: ctx.planned.map((p) => p.plan) };
  return { ctx, said, state };
}

describe('apply --rolling and the nodes already down (review B3)', () => {
  it('refuses, before any change, a sub-grid with changes where a node down leaves no restart that keeps it serving; names the node and what to do', async () => {
    // s1: 3 nodes, n3 unreachable, maxUnavailable 1: restarting n1 or n2 would leave 1 of 3.
    const { ctx } = contextWith(grid(), ['n3']);
    expect(checkRollingBudget.shouldRun!(ctx)).toBe(true);
    const run = checkRollingBudget.run(ctx);
    await expect(run).rejects.toThrow(PlanningError);
    await expect(run).rejects.toThrow('--rolling cannot restart any node of r1/s1 and keep it serving: n3 is down (unreachable), 1 of its 3 nodes, and rollout.maxUnavailable is 1; nothing was changed');
    await expect(run).rejects.toMatchObject({ hint: expect.stringMatching(/^bring n3 back .* or leave that sub-grid out \(--limit '!r1\/s1'\)/) });
  });

  it('a node unreachable that never ran the agent (the state has no agent on it) is not down: only not built yet', async () => {
    // s1: n1 and n2 run agents; n3 is planned but not built (unreachable, never applied), maxUnavailable 1.
    const { ctx } = contextWith(grid(), ['n3'], { rolling: true }, ['n1', 'n2', 'n4', 'n5', 'n6']);
    await expect(checkRollingBudget.run(ctx)).resolves.toBeUndefined();
    // Nor do the batches count it down (choose-batch-strategy passes them the same sizes).
    const sizes = rolloutSizes(ctx, await ctx.recordedState());
    expect(sizes.down.get('r1/s1') ?? 0).toBe(0);
    expect(sizes.voters.get('r1/s1')).toEqual({ count: 3, down: 0 });
    // Applied once without the agent (a first apply that failed before it): not down either.
    const failedFirst = contextWith(grid(), ['n3'], { rolling: true }, ['n1', 'n2', 'n4', 'n5', 'n6']);
    const state = await failedFirst.ctx.recordedState();
    jest.spyOn(failedFirst.ctx, 'recordedState').mockResolvedValue({ ...state, hosts: { ...state.hosts, n3: { ...ranAgent, playbooks: [], agentVersion: null, lastOutcome: 'failed' } } } as unknown as GridState);
    await expect(checkRollingBudget.run(failedFirst.ctx)).resolves.toBeUndefined();
    // Recorded with an agent under a former name (renamed in this run): down, as before.
    const renamed = contextWith(grid(), ['n3'], { rolling: true }, ['n1', 'n2', 'old3', 'n4', 'n5', 'n6']);
    renamed.ctx.renamed.set('old3', 'n3');
    await expect(checkRollingBudget.run(renamed.ctx)).rejects.toThrow('--rolling cannot restart any node of r1/s1 and keep it serving: n3 is down (unreachable), 1 of its 3 nodes');
  });

  it('refuses a sub-grid where the nodes down leave no voter that may restart with its super peer keeping a quorum, however large maxUnavailable', async () => {
    // maxUnavailable 2: s1 may restart 2 of 3 nodes (never its last), minus n3 down: 1; but n1, n2
    // and n3 are its 3 voters, n3 down may be one, and restarting n1 or n2 would leave 1 of 3.
    const run = checkRollingBudget.run(contextWith(grid('2'), ['n3']).ctx);
    await expect(run).rejects.toThrow(PlanningError);
    await expect(run).rejects.toThrow('--rolling cannot restart a voter of r1/s1 and keep its super peer: n3 is down (unreachable), counted as one of its 3 voters, and its super peer steps down when it hears fewer than 2 of them; nothing was changed');
    await expect(run).rejects.toMatchObject({ hint: expect.stringMatching(/^bring n3 back .* or leave that sub-grid out \(--limit '!r1\/s1'\)/) });
  });

  it('before the question counts as voters down only the nodes down that must be voters: of 8 that may vote 5 vote, so 2 down may be none of them', async () => {
    // s1 of 8, maxUnavailable 3, n7 and n8 long dead (autopilot dropped them): the agents, asked before the first batch, name the voters.
    const grid8 = (max: string) => gridOf(`rollout: { maxUnavailable: ${max}, healthTimeout: 5s }\nregions: [{ name: r1, subgrids: [{ name: s1, nodes: [${[1, 2, 3, 4, 5, 6, 7, 8].map(node).join(', ')}] }] }]\n`);
    const { ctx } = contextWith(grid8('3'), ['n7', 'n8']);
    await expect(checkRollingBudget.run(ctx)).resolves.toBeUndefined();
    // 6 of 8 down would leave 2 nodes serving: a sub-grid of 6 with 3 down makes at least 2 of its 5 voters down, and says so.
    const six = gridOf(`rollout: { maxUnavailable: 5, healthTimeout: 5s }\nregions: [{ name: r1, subgrids: [{ name: s1, nodes: [${[1, 2, 3, 4, 5, 6].map(node).join(', ')}] }] }]\n`);
    await expect(checkRollingBudget.run(contextWith(six, ['n4', 'n5', 'n6']).ctx)).rejects.toThrow(
      '--rolling cannot restart a voter of r1/s1 and keep its super peer: n4, n5 and n6 are down (unreachable), at least 2 of them among its 5 voters, and its super peer steps down when it hears fewer than 3 of them; nothing was changed',
    );
  });

  it('a node down in a sub-grid that still has budget left, or in one without changes, does not stop the run', async () => {
    // maxUnavailable 2: s1 of 5 nodes may restart 2 (never its last), minus n5 down: 1; 5 voters spare 2, minus n5: 1.
    await expect(checkRollingBudget.run(contextWith(grid5('2'), ['n5']).ctx)).resolves.toBeUndefined();
    const { ctx } = contextWith(grid(), ['n3']);
    ctx.planned = ctx.planned.map((p) => (p.session.node.subgrid === 's1' ? { ...p, plan: { ...p.plan, changes: [], handlers: [] } } : p));
    await expect(checkRollingBudget.run(ctx)).resolves.toBeUndefined();
    expect(checkRollingBudget.shouldRun!(contextWith(grid(), ['n3'], {}).ctx)).toBe(false);
  });

  it('warns, naming the sub-grid, when a sub-grid of one node has its only agent restarted (review N4)', async () => {
    const { ctx, said } = contextWith(grid());
    await checkRollingBudget.run(ctx);
    expect(said.filter((m) => m.includes('r1/s3'))).toEqual([expect.stringMatching(/^warning: r1\/s3 has one node, n6: --rolling restarts its agent with no other node to hand the super peer role to, so r1\/s3 has no super peer until n6 is back/)]);
    // Nothing to say when its agent does not restart.
    const quiet = contextWith(grid());
    quiet.ctx.planned = quiet.ctx.planned.map((p) => (p.session.node.name === 'n6' ? { ...p, plan: { ...p.plan, handlers: [] } } : p));
    await checkRollingBudget.run(quiet.ctx);
    expect(quiet.said.filter((m) => m.includes('r1/s3'))).toEqual([]);
  });

  it('with --json, each of its warnings is a `warning` line, none a progress line (the run\'s warning channel)', async () => {
    const { ctx } = contextWith(grid());
    const out: string[] = [];
    const messages = runMessages({ json: true, verbose: false, write: (t) => out.push(t) });
    ctx.options.progress = messages.progress;
    ctx.options.runWarning = messages.warn;
    await checkRollingBudget.run(ctx);
    const lines = out.map((l) => JSON.parse(l) as { type: string; message: string });
    expect(lines).toContainEqual({ type: 'warning', message: expect.stringMatching(/^r1\/s3 has one node, n6: --rolling restarts its agent/) });
    expect(lines).toContainEqual({ type: 'warning', message: expect.stringMatching(/^r1\/s2 has two voters, n4 and n5: /) });
    expect(lines.filter((l) => l.type !== 'warning')).toEqual([]);
  });

  it('warns, naming the sub-grid, when a sub-grid of several nodes has one voter, its super peer restarted: no other may take the role (review 7)', async () => {
    // s1: n1 may be super peer, n2 and n3 never: one voter, whose restart leaves s1 without a super peer.
    const oneVoter = () => contextWith(gridOf(`rollout: { maxUnavailable: 1, healthTimeout: 5s }
regions: [{ name: r1, subgrids: [{ name: s1, nodes: [${node(1)}, { name: n2, address: 10.0.0.2, superPeer: never }, { name: n3, address: 10.0.0.3, superPeer: never }] }] }]
`));
    const { ctx, said } = oneVoter();
    await checkRollingBudget.run(ctx);
    expect(said).toEqual([
      'warning: r1/s1 has one voter, n1 (its other nodes have superPeer: never): --rolling restarts its agent with no other voter to hand the super peer role to, so r1/s1 has no super peer until n1 is back (a few seconds); let two more of its nodes be super peer to keep one throughout',
    ]);
    // Nothing to say when only nodes that do not vote restart.
    const quiet = oneVoter();
    quiet.ctx.planned = quiet.ctx.planned.map((p) => (p.session.node.name === 'n1' ? { ...p, plan: { ...p.plan, handlers: [] } } : p));
    await checkRollingBudget.run(quiet.ctx);
    expect(quiet.said).toEqual([]);
  });

  it('warns, naming the sub-grid, when a sub-grid of 2 voters has a voter restarted: one of two is no quorum', async () => {
    const { ctx, said } = contextWith(grid());
    await checkRollingBudget.run(ctx);
    expect(said.filter((m) => m.includes('r1/s2'))).toEqual([
      'warning: r1/s2 has two voters, n4 and n5: --rolling restarts each alone, in a batch of its own, but one of two is no quorum, so r1/s2 has no super peer until the restarted one is back (a few seconds); give the sub-grid a third node that may be super peer to keep one throughout',
    ]);
    // A node that may never be super peer does not vote: s1 with n3 `superPeer: never` has 2 voters too.
    const never = contextWith(gridOf(`rollout: { maxUnavailable: 1, healthTimeout: 5s }
regions: [{ name: r1, subgrids: [{ name: s1, nodes: [${node(1)}, ${node(2)}, { name: n3, address: 10.0.0.3, superPeer: never }] }] }]
`));
    await checkRollingBudget.run(never.ctx);
    expect(never.said).toEqual([expect.stringMatching(/^warning: r1\/s1 has two voters, n1 and n2: /)]);
    // Nothing to say when neither voter's agent restarts.
    const quiet = contextWith(grid());
    quiet.ctx.planned = quiet.ctx.planned.map((p) => (['n4', 'n5'].includes(p.session.node.name) ? { ...p, plan: { ...p.plan, handlers: [] } } : p));
    await checkRollingBudget.run(quiet.ctx);
    expect(quiet.said.filter((m) => m.includes('r1/s2'))).toEqual([]);
  });
});

/** The voters the super peers name, asked before the first batch, may be fewer than the topology implies. */
describe('apply --rolling and the voters the agents name (review 4)', () => {
  /** The peers the run's agents name: every agent of the run answered (the gate before the first batch saw to it), none said how it hears the others. */
  const named = (voters: Record<string, string[]>, ctx: RunContext) => ({
    superPeers: new Set(Object.values(voters).map((v) => v[0]!)),
    regionPeers: new Set<string>(),
    voters: new Map(Object.entries(voters)),
    liveness: new Map(),
    answered: new Set(ctx.planned.map((p) => p.session.node.name)),
  });

  it('refuses before the first batch where the named voters, with one down, leave no voter free to restart', async () => {
    // 5 may vote (budget 5 - 3 - 1 = 1: the pre-check lets it pass), but n1 names n2 and n5 only: 3 voters, n5 down, budget 0.
    const { ctx } = contextWith(grid5('2'), ['n5']);
    await expect(checkRollingBudget.run(ctx)).resolves.toBeUndefined();
    const check = () => checkNamedVoters(ctx, named({ 'r1/s1': ['n1', 'n2', 'n5'] }, ctx), rolloutSizes(ctx, ranEverywhere(ctx)));
    expect(check).toThrow(PlanningError);
    expect(check).toThrow('--rolling cannot restart a voter of r1/s1 and keep its super peer: n5 is down (unreachable), counted as one of its 3 voters, and its super peer steps down when it hears fewer than 2 of them; nothing was changed');
    try {
      check();
    } catch (err) {
      expect((err as PlanningError).hint).toMatch(/^bring n5 back .* or leave that sub-grid out \(--limit '!r1\/s1'\)/);
    }
    // The node down not among the named voters: the super peer keeps its quorum through one restart.
    expect(() => checkNamedVoters(ctx, named({ 'r1/s1': ['n1', 'n2', 'n3'] }, ctx), rolloutSizes(ctx, ranEverywhere(ctx)))).not.toThrow();
  });

  it('where no reached agent lists the voters, counts every node down that may vote as a voter down before the first batch (the pre-check counted only the surely voters)', async () => {
    // s1 of 8, maxUnavailable 3, n7 and n8 unreachable: the pre-check lets it pass (they may be none of the 5 voters).
    const grid8 = gridOf(`rollout: { maxUnavailable: 3, healthTimeout: 5s }\nregions: [{ name: r1, subgrids: [{ name: s1, nodes: [${[1, 2, 3, 4, 5, 6, 7, 8].map(node).join(', ')}] }] }]\n`);
    const { ctx } = contextWith(grid8, ['n7', 'n8']);
    await expect(checkRollingBudget.run(ctx)).resolves.toBeUndefined();
    // The agents name the voters, n7 and n8 not among them: no refusal.
    expect(() => checkNamedVoters(ctx, named({ 'r1/s1': ['n1', 'n2', 'n3', 'n4', 'n5'] }, ctx), rolloutSizes(ctx, ranEverywhere(ctx)))).not.toThrow();
    // No agent says: both count as voters down, as the batches count them.
    expect(() => checkNamedVoters(ctx, named({}, ctx), rolloutSizes(ctx, ranEverywhere(ctx)))).toThrow(
      '--rolling cannot restart a voter of r1/s1 and keep its super peer: n7 and n8 are down (unreachable), counted as 2 of its 5 voters, and its super peer steps down when it hears fewer than 3 of them; nothing was changed',
    );
  });

  it('judges a node renamed in this run by the name its agent still votes under', () => {
    // s1 of 5 that may vote, maxUnavailable 2, n5 unreachable: the pre-check lets it pass. The agents
    // name n1, n3 and n5 the voters; the topology renamed n3 to n3b, whose agent runs as n3 until its
    // batch applies the rename. n3b alone changes: a voter, with n5 down none may restart.
    const g = gridOf(`rollout: { maxUnavailable: 2, healthTimeout: 5s }
regions: [{ name: r1, subgrids: [{ name: s1, nodes: [${node(1)}, ${node(2)}, { name: n3b, address: 10.0.0.3 }, ${node(4)}, ${node(5)}] }] }]
`);
    const { ctx } = contextWith(g, ['n5']);
    ctx.renamed.set('n3', 'n3b');
    ctx.planned = ctx.planned.map((p) => (p.session.node.name === 'n3b' ? p : { ...p, plan: { ...p.plan, changes: [], handlers: [] } }));
    const check = () => checkNamedVoters(ctx, named({ 'r1/s1': ['n1', 'n3', 'n5'] }, ctx), rolloutSizes(ctx, ranEverywhere(ctx)));
    expect(check).toThrow('--rolling cannot restart a voter of r1/s1 and keep its super peer: n5 is down (unreachable), counted as one of its 3 voters, and its super peer steps down when it hears fewer than 2 of them; nothing was changed');
    // Every node up and changed: n3b answered, so the voter the agents call n3 is up, not one no agent can vouch for.
    const { ctx: up } = contextWith(g);
    up.renamed.set('n3', 'n3b');
    expect(() => checkNamedVoters(up, named({ 'r1/s1': ['n1', 'n3', 'n5'] }, up), rolloutSizes(up, ranEverywhere(up)))).not.toThrow();
  });

  it('warns of two voters where the agents name two, though the topology implies more; once, not again where the topology said two', async () => {
    const { ctx, said } = contextWith(grid());
    checkNamedVoters(ctx, named({ 'r1/s1': ['n2', 'n3'], 'r1/s2': ['n4', 'n5'] }, ctx), rolloutSizes(ctx, ranEverywhere(ctx)));
    expect(said).toEqual([expect.stringMatching(/^warning: r1\/s1 has two voters, n2 and n3: --rolling restarts each alone/)]);
  });

  it('warns of one voter where its super peer lists itself alone, though the topology implies more (review 7)', async () => {
    const { ctx, said } = contextWith(grid());
    checkNamedVoters(ctx, named({ 'r1/s1': ['n1'], 'r1/s2': ['n4', 'n5'] }, ctx), rolloutSizes(ctx, ranEverywhere(ctx)));
    expect(said).toEqual([expect.stringMatching(/^warning: r1\/s1 has one voter, n1 \(the only voter n1 lists\): --rolling restarts its agent with no other voter/)]);
  });
});

/**
 * `--limit` leaves nodes out of the run: never connected, a voter of them that is down is not
 * unreachable. The agents reached say who votes and (a super peer's or a mirror's registry) who is alive.
 */
describe('apply --rolling --limit and the voters outside the run', () => {
  /** `node` answering in s1 of r1 with `view`. */
  const says = (node: string, view: Partial<AgentView> & { role: string; superPeer: string }) => ({ node, region: 'r1', subgrid: 's1', view: { term: 1, regionPeer: null, members: 0, ...view } });
  /** The run holds only `names` (--limit). */
  const limitedTo = (g: ReturnType<typeof grid>, names: string[]) => {
    const run = contextWith(g);
    run.ctx.planned = run.ctx.planned.filter((p) => names.includes(p.session.node.name));
    return run;
  };

  it('refuses where a voter outside the run is dead or suspect to its super peer and the rest leave none free to restart (3 voters, --limit two of them)', () => {
    // s1: n1, n2, n3; n3 is down, outside --limit n1,n2. n1, super peer, still lists it (autopilot has not dropped it yet).
    const { ctx } = limitedTo(grid(), ['n1', 'n2', 'n4', 'n5', 'n6']);
    const peers = (n3: 'alive' | 'suspect' | 'dead') =>
      peersNow([says('n1', { role: 'super-peer', superPeer: 'n1', mirrors: ['n2', 'n3'], liveness: { n1: 'alive', n2: 'alive', n3 } }), says('n2', { role: 'mirror', superPeer: 'n1', mirrors: ['n2', 'n3'] })]);
    expect(() => checkNamedVoters(ctx, peers('alive'), rolloutSizes(ctx, ranEverywhere(ctx)))).not.toThrow();
    for (const liveness of ['dead', 'suspect'] as const) {
      const check = () => checkNamedVoters(ctx, peers(liveness), rolloutSizes(ctx, ranEverywhere(ctx)));
      expect(check).toThrow(PlanningError);
      expect(check).toThrow(`--rolling cannot restart a voter of r1/s1 and keep its super peer: n3 is outside this run and ${liveness} to its super peer n1, counted as one of its 3 voters, and its super peer steps down when it hears fewer than 2 of them; nothing was changed`);
      expect(check).toThrow(expect.objectContaining({ hint: expect.stringMatching(/^bring n3 back \(agent running\) and run again, or leave that sub-grid out \(--limit '!r1\/s1'\)/) }));
    }
  });

  it('where no reached super peer or mirror says which voters are alive, counts those outside the run as possibly down and says to include the super peer', () => {
    // s1 of 5: n3 super peer, n1..n4 voting; --limit n1,n2; n1 and n2 answer as mirrors, with no registry (an agent that does not say).
    const { ctx } = limitedTo(grid5('2'), ['n1', 'n2']);
    const peers = peersNow([says('n1', { role: 'mirror', superPeer: 'n3', mirrors: ['n1', 'n2', 'n4'] }), says('n2', { role: 'mirror', superPeer: 'n3', mirrors: ['n1', 'n2', 'n4'] })]);
    const check = () => checkNamedVoters(ctx, peers, rolloutSizes(ctx, ranEverywhere(ctx)));
    expect(check).toThrow(PlanningError);
    expect(check).toThrow('--rolling cannot restart a voter of r1/s1 and keep its super peer: n3 and n4 are outside this run and no agent it reached can say they are up, counted as 2 of its 4 voters, and its super peer steps down when it hears fewer than 3 of them; nothing was changed');
    expect(check).toThrow(expect.objectContaining({ hint: "include the super peer n3 in --limit (or run without --limit), so that it says which voters are alive, and run again, or leave that sub-grid out (--limit '!r1/s1')" }));
    // With the mirror's registry: both alive, 4 voters spare 1: no refusal.
    const heard = peersNow([says('n1', { role: 'mirror', superPeer: 'n3', mirrors: ['n1', 'n2', 'n4'], liveness: { n1: 'alive', n2: 'alive', n3: 'alive', n4: 'alive' } }), says('n2', { role: 'mirror', superPeer: 'n3', mirrors: ['n1', 'n2', 'n4'] })]);
    expect(() => checkNamedVoters(ctx, heard, rolloutSizes(ctx, ranEverywhere(ctx)))).not.toThrow();
  });

  it('counts a node outside the run that ran the agent and that the reached registry hears down against its sub-grid\'s maxUnavailable, as a full run counts one unreachable (a voter already dropped from the voters too)', () => {
    // s1: n1, n2, n3; n3 down outside --limit n1,n2, already dropped from the voters by autopilot: n1 and n2 vote.
    // maxUnavailable 1 and one node of 3 down: a full run refuses (n3 unreachable); so must this one.
    const { ctx, said } = limitedTo(grid(), ['n1', 'n2', 'n4', 'n5', 'n6']);
    const state = stateWith;
    const everyNode = state(['n1', 'n2', 'n3', 'n4', 'n5', 'n6']);
    const peers = (liveness: Record<string, 'alive' | 'suspect' | 'dead'> = {}) =>
      peersNow([says('n1', { role: 'super-peer', superPeer: 'n1', mirrors: ['n2'], liveness: { n1: 'alive', n2: 'alive', ...liveness } }), says('n2', { role: 'mirror', superPeer: 'n1', mirrors: ['n2'] })]);
    const check = (p: ReturnType<typeof peers>, st = everyNode, run = ctx) => () => checkNamedVoters(run, p, rolloutSizes(run, st), downOutsideRun(run, p, st));
    const cases = [
      [{}, 'n3 is outside this run, ran the agent, and its super peer n1 no longer lists it'],
      [{ n3: 'dead' }, 'n3 is outside this run and dead to its super peer n1'],
      [{ n3: 'suspect' }, 'n3 is outside this run and suspect to its super peer n1'],
    ] as const;
    for (const [liveness, why] of cases) {
      expect(check(peers(liveness))).toThrow(PlanningError);
      expect(check(peers(liveness))).toThrow(`--rolling cannot restart any node of r1/s1 and keep it serving: ${why}, 1 of its 3 nodes, and rollout.maxUnavailable is 1; nothing was changed`);
      expect(check(peers(liveness))).toThrow(expect.objectContaining({ hint: expect.stringMatching(/^bring n3 back \(agent running\) and run again, or leave that sub-grid out \(--limit '!r1\/s1'\)/) }));
    }
    // Heard alive: nothing down; the two voters named are warned of, as before.
    expect(check(peers({ n3: 'alive' }))).not.toThrow();
    expect(said).toEqual([expect.stringMatching(/^warning: r1\/s1 has two voters, n1 and n2/)]);
    // A node the state has no agent record of was never applied: not there yet, not down.
    expect(check(peers(), state(['n1', 'n2', 'n4', 'n5', 'n6']))).not.toThrow();
    // Renamed from old3 (not applied yet, so its agent still runs as old3): judged by that name.
    ctx.renamed.set('old3', 'n3');
    const renamedState = state(['n1', 'n2', 'old3', 'n4', 'n5', 'n6']);
    expect(check(peers({ old3: 'alive' }), renamedState)).not.toThrow();
    expect(check(peers({ old3: 'dead' }), renamedState)).toThrow('n3 is outside this run and dead to its super peer n1');
    ctx.renamed.clear();
    // maxUnavailable 2: one of 3 down leaves one restart; the node budget does not refuse (the voters' check decides).
    const roomy = limitedTo(grid('2'), ['n1', 'n2', 'n4', 'n5', 'n6']);
    expect(check(peers(), everyNode, roomy.ctx)).not.toThrow();
    // What the batches count as down besides the run's unreachable nodes (choose-batch-strategy): n3 in r1/s1 alone;
    // nothing where no reached agent keeps the sub-grid's registry (n6's r1/s3, outside a run of n1 and n2 only).
    expect(downOutsideRun(ctx, peers(), everyNode)).toEqual(new Map([['r1/s1', [{ name: 'n3', why: 'unlisted' }]]]));
    expect(downOutsideRun(limitedTo(grid(), ['n1', 'n2']).ctx, peers({ n3: 'alive' }), everyNode)).toEqual(new Map());
  });
});
