import { jest } from '@jest/globals';
import { AGENT_VERSION } from '../../src/agent/version.js';
import { applyInBatches } from '../../src/phases/apply-in-batches.js';
import { applyOutcome } from '../../src/phases/apply-outcome.js';
import { APPLY_PHASES } from '../../src/phases/apply.js';
import { askAgentsBeforeRolling } from '../../src/phases/ask-agents-before-rolling.js';
import { chooseBatchStrategy } from '../../src/phases/choose-batch-strategy.js';
import { checkRollingBudget } from '../../src/phases/check-rolling-budget.js';
import { GATE_STABLE_MS } from '../../src/topology/gate-stable-window.js';
import { runPhases } from '../../src/phases/manager.js';
import { verifyOverlay } from '../../src/phases/verify-overlay.js';
import { ExitCode, InterruptedError, OverlayNotConvergedError } from '../../src/errors/index.js';
import { RunContext } from '../../src/phases/run-context.js';
import { PLAN_FORMAT } from '../../src/plan/plan.js';
import { statePaths, type GridState } from '../../src/state/state.js';
import type { PlannedHost } from '../../src/engine/planner.js';
import { CommandResource } from '../../src/resources/command.js';
import type { StepRecorder } from '../../src/resources/step-recorder.js';
import { stepWarning } from '../../src/resources/step-warning.js';
import type { CommandChange } from '../../src/plan/change.js';
import { quote } from '../../src/transport/quote.js';
import { allNodes } from '../../src/topology/model.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { facts, gridOf } from '../resources/fixtures.js';
import { ASK_AGENT, agentAnswer } from '../overlay/agent-answer.js';

const local = new LocalTransport('local');

/**
 * Three nodes in one sub-grid. `healthTimeoutMs` may be below what validate accepts (more than the
 * gate's stable window): the tests of a gate or a start that fails then fail fast.
 */
const grid = (healthTimeoutMs = 5000) => {
  const g = gridOf(
    `rollout: { maxUnavailable: 1, healthTimeout: 5s }
regions:
  - name: r1
    subgrids:
      - name: s1
        nodes:
          - { name: n1, address: 10.0.0.1 }
          - { name: n2, address: 10.0.0.2 }
          - { name: n3, address: 10.0.0.3 }
`,
  );
  return { ...g, rollout: { ...g.rollout, healthTimeoutMs } };
};

/**
 * Three agents in one sub-grid, n1 its super peer, each with one change (its "upgrade"). The
 * fake overlay: applying the super peer hands its role to n2; `stuck` never rejoins; applying a
 * host named in `moves` moves the role to the node it names there. The hosts in `fresh` run no agent
 * yet: this run deploys it (their managed units hold it), and it answers only once they are applied.
 * Every agent runs the version installed on its host, as a healthy one does.
 */
function fleet(g: ReturnType<typeof grid>, stuck?: string, moves: Record<string, string> = {}, mirrors?: string[], fresh: string[] = []) {
  const order: string[] = [];
  let leader = 'n1';
  const planned: PlannedHost[] = allNodes(g).map((node) => {
    const transport = new RecordingTransport(node.name)
      .on(/^sh -s$/, (command, { options }) => {
        order.push(node.name);
        if (moves[node.name] !== undefined) leader = moves[node.name]!;
        else if (node.name === leader) leader = 'n2';
        return local.exec(command, { stdin: options.stdin });
      })
      .on(ASK_AGENT, () => {
        if (fresh.includes(node.name) && !order.includes(node.name)) return { code: 7, stderr: 'curl: (7) Failed to connect' };
        const joined = !(stuck === node.name && order.includes(node.name));
        const role = !joined ? 'searching' : node.name === leader ? 'leader' : 'member';
        return { code: 0, stdout: agentAnswer(JSON.stringify({ role, regionRole: role === 'leader' ? 'leader' : 'inactive', term: 1, superPeer: joined ? leader : null, regionPeer: role === 'leader' ? node.name : null, members: [], ...(mirrors ? { mirrors: mirrors.filter((m) => m !== leader) } : {}), version: AGENT_VERSION })) };
      });
    const upgrade = new CommandResource({ name: 'upgrade', command: 'true' });
    return {
      session: { node, transport, facts: { ...facts(), agentVersion: fresh.includes(node.name) ? null : AGENT_VERSION } },
      resources: new Map([[upgrade.id, upgrade]]),
      handlers: [],
      managedUnits: new Set<string>(fresh.includes(node.name) ? ['gridagent.service'] : []),
      kernelEntries: {},
      plan: { host: node.name, address: node.address, playbooks: ['upgrade'], changes: [upgrade.diff('')!], notes: [], handlers: [] },
    };
  });
  return { planned, order };
}

/**
 * A command that also says `warning` (a shell word) as a step warning, as a package step says what
 * it repaired (resources/step-warning.ts): only a step gridops records can say one.
 */
class RepairingCommand extends CommandResource {
  constructor(
    name: string,
    private readonly command: string,
    private readonly warning: string,
  ) {
    super({ name, command });
  }

  override async apply(_change: CommandChange, recorder: StepRecorder): Promise<void> {
    await recorder.run(`${this.command}\n${stepWarning(this.warning, recorder.warningMarker)}`, 'upgrade');
  }
}

/** A run context as the phases before `apply in batches` leave it. */
function contextFor(g: ReturnType<typeof grid>, planned: PlannedHost[], options: { rolling?: boolean; failFast?: boolean; limit?: string[] } = {}) {
  const progress: string[] = [];
  const ctx = new RunContext({ topologyFile: 't.yaml', concurrency: 10, acceptNewHostKeys: false, progress: (m) => progress.push(m), failFast: false, emit: () => undefined, ...options });
  ctx.setGrid(g, statePaths('t.yaml', g.name));
  ctx.planned = planned;
  ctx.plan = { format: PLAN_FORMAT, createdAt: '', gridopsVersion: '', topology: { file: 't.yaml', grid: 'g', sourceHash: '' }, playbooks: ['upgrade'], adHocPlaybooks: true, hosts: planned.map((p) => p.plan) };
  return { ctx, progress };
}

describe('apply in batches, rolling strategy', () => {
  it('changes ordinary nodes one by one, then the super peer, each batch gated on the overlay', async () => {
    const g = grid();
    const { planned, order } = fleet(g);
    const { ctx, progress } = contextFor(g, planned, { rolling: true });
    await applyInBatches.run(ctx);
    expect(order).toEqual(['n2', 'n3', 'n1']);
    expect(ctx.stopped).toBeUndefined();
    expect(ctx.outcomes.map((o) => o.status)).toEqual(['applied', 'applied', 'applied']);
    expect(progress).toContain('batch 3/3: n1 (super peers, which hand their role over)');
    expect(progress.at(-1)).toMatch(/^batch 3\/3 healthy after [\d.]+ s: r1\/s1 n2 \(was n1\)$/);
    // The last gate is the run's verified overlay: the verify phase need not ask again.
    expect(ctx.overlay).toMatchObject({ converged: true, superPeers: { 'r1/s1': 'n2' } });
  }, 30_000); // each gated batch waits GATE_STABLE_MS of stable agreement

  it('cuts the hosts not yet done again after each gate: a super peer that moved mid-rollout goes last, and hands over', async () => {
    const g = grid();
    // Review H3: restarting the ordinary node n2 moved the role from n1 to n3. Batches fixed at
    // the start (n2, n3, n1) would restart n3, the super peer now, as an ordinary node.
    const { planned, order } = fleet(g, undefined, { n2: 'n3', n3: 'n1' });
    const { ctx, progress } = contextFor(g, planned, { rolling: true });
    await applyInBatches.run(ctx);
    expect(order).toEqual(['n2', 'n1', 'n3']);
    expect(progress).toContain('batch 3/3: n3 (super peers, which hand their role over)');
    expect(progress).toContainEqual(expect.stringMatching(/^batch 2\/3 healthy after [\d.]+ s: r1\/s1 n3$/));
    expect(progress.at(-1)).toMatch(/^batch 3\/3 healthy after [\d.]+ s: r1\/s1 n1 \(was n3\)$/);
    expect(ctx.stopped).toBeUndefined();
  }, 30_000);

  it('says so when cutting the hosts left again changes how many batches are left', async () => {
    // Four nodes, two at a time, n3 and n4 the super peer's mirrors (3 voters: one of them at a
    // time): n2+n3, then n4, then the super peer n1. Applying n2 makes it the super peer, so n4
    // and n1 are both ordinary nodes now, n1 not a voter, and they go in one batch.
    const g = gridOf(`rollout: { maxUnavailable: 2, healthTimeout: 5s }\nregions: [{ name: r1, subgrids: [{ name: s1, nodes: [${[1, 2, 3, 4].map((i) => `{ name: n${i}, address: 10.0.0.${i} }`).join(', ')}] }] }]\n`);
    const { planned, order } = fleet(g, undefined, { n2: 'n2' }, ['n3', 'n4']);
    const { ctx, progress } = contextFor(g, planned, { rolling: true });
    await applyInBatches.run(ctx);
    expect(progress).toContainEqual(expect.stringMatching(/, in 3 batches$/));
    expect(progress).toContain('the hosts left, cut again from the super peers the agents name now: 1 batch left, not 2 (2 in all)');
    expect(progress).toContainEqual(expect.stringMatching(/^batch 2\/2: n[14], n[14] \(/));
    expect([...order].sort()).toEqual(['n1', 'n2', 'n3', 'n4']);
    // Said once: the other re-cut kept the count.
    expect(progress.filter((m) => m.startsWith('the hosts left'))).toHaveLength(1);
  }, 30_000);

  it('a gate asks the agents that ran before the run and those of the batches done, not an agent a later batch installs', async () => {
    // An upgrade that also adds n3 (no agent yet, this run deploys it): n2, then n3, then n1. The
    // gate after n2 must not wait for n3's agent, which cannot answer before its own batch.
    const g = grid();
    const { planned, order } = fleet(g, undefined, {}, undefined, ['n3']);
    const { ctx, progress } = contextFor(g, planned, { rolling: true });
    await applyInBatches.run(ctx);
    expect(order).toEqual(['n2', 'n3', 'n1']);
    expect(ctx.stopped).toBeUndefined();
    expect(progress.at(-1)).toMatch(/^batch 3\/3 healthy after [\d.]+ s: r1\/s1 n2 \(was n1\)$/);
    // Once n3's batch is done the gates ask it too: the last one is the run's overlay, of all three.
    expect(ctx.overlay).toMatchObject({ converged: true, nodes: 3 });
  }, 30_000);

  it('--site --rolling of a new sub-grid: its agents are asked once all of them run, since the first alone cannot elect', async () => {
    // r1/s1 runs (n1 its super peer); the new site r1/s2 (n4, n5, n6) gets its agents in this run,
    // one at a time (3 voters the topology implies: 1 at a time). Its birth electorate is the 3 of
    // them: an agent of s2 searches until 2 of them run, then n4 leads.
    const g = gridOf(`rollout: { maxUnavailable: 1, healthTimeout: 5s }\nregions: [{ name: r1, subgrids: [{ name: s1, nodes: [${[1, 2, 3].map((i) => `{ name: n${i}, address: 10.0.0.${i} }`).join(', ')}] }, { name: s2, nodes: [${[4, 5, 6].map((i) => `{ name: n${i}, address: 10.0.0.${i} }`).join(', ')}] }] }]\n`);
    const site = ['n4', 'n5', 'n6'];
    const order: string[] = [];
    // The agents' words: a super peer answers `leader`. n1 is the region's peer too, and the super peers name it so.
    const view = (role: string, superPeer: string | null, name: string) => agentAnswer(JSON.stringify({ role, regionRole: name === 'n1' ? 'leader' : 'inactive', term: 1, superPeer, regionPeer: role === 'leader' ? 'n1' : null, members: [], version: AGENT_VERSION }));
    const planned: PlannedHost[] = allNodes(g).map((node) => {
      const fresh = site.includes(node.name);
      const transport = new RecordingTransport(node.name)
        .on(/^sh -s$/, (command, { options }) => {
          order.push(node.name);
          return local.exec(command, { stdin: options.stdin });
        })
        .on(ASK_AGENT, () => {
          if (!fresh) return { code: 0, stdout: view(node.name === 'n1' ? 'leader' : 'member', 'n1', node.name) };
          if (!order.includes(node.name)) return { code: 7, stderr: 'curl: (7) Failed to connect' };
          const elected = order.filter((n) => site.includes(n)).length >= 2;
          return { code: 0, stdout: elected ? view(node.name === 'n4' ? 'leader' : 'member', 'n4', node.name) : view('searching', null, node.name) };
        });
      const upgrade = new CommandResource({ name: 'agent', command: 'true' });
      return {
        session: { node, transport, facts: { ...facts(), agentVersion: fresh ? null : AGENT_VERSION } },
        resources: new Map([[upgrade.id, upgrade]]),
        handlers: [],
        managedUnits: new Set<string>(['gridagent.service']),
        kernelEntries: {},
        plan: { host: node.name, address: node.address, playbooks: ['agent'], changes: fresh ? [upgrade.diff('')!] : [], notes: [], handlers: [] },
      };
    });
    const { ctx, progress } = contextFor(g, planned, { rolling: true });
    ctx.site = new Set(site);
    await applyInBatches.run(ctx);
    expect(ctx.stopped).toBeUndefined();
    expect(order).toEqual(['n4', 'n5', 'n6']);
    expect(progress.at(-1)).toMatch(/^batch 3\/3 healthy after [\d.]+ s: r1\/s1 n1, r1\/s2 n4$/);
    expect(ctx.overlay).toMatchObject({ converged: true, nodes: 6 });
  }, 30_000);

  it('--rolling adding a new region of two sub-grids: its agents are asked once all of them run, since its region vote needs both', async () => {
    // r1/s1 runs (n1 its super peer and region peer); r2 is new, sub-grids a (a1-a3) and b (b1-b3),
    // deployed one node at a time. A sub-grid elects once 2 of its 3 run; r2's region peer needs
    // the votes of both sub-grids' super peers: until b elects, a1 leads a but names no region peer.
    const g = gridOf(`rollout: { maxUnavailable: 1, healthTimeout: 5s }\nregions: [{ name: r1, subgrids: [{ name: s1, nodes: [${[1, 2, 3].map((i) => `{ name: n${i}, address: 10.0.0.${i} }`).join(', ')}] }] }, { name: r2, subgrids: [{ name: a, nodes: [${[1, 2, 3].map((i) => `{ name: a${i}, address: 10.0.1.${i} }`).join(', ')}] }, { name: b, nodes: [${[1, 2, 3].map((i) => `{ name: b${i}, address: 10.0.2.${i} }`).join(', ')}] }] }]\n`);
    const order: string[] = [];
    const elected = (sg: string) => order.filter((n) => n.startsWith(sg)).length >= 2;
    const view = (role: string, superPeer: string | null, regionPeer: string | null, regionLeads: boolean) => agentAnswer(JSON.stringify({ role, regionRole: regionLeads ? 'leader' : 'inactive', term: 1, superPeer, regionPeer: role === 'leader' ? regionPeer : null, members: [], version: AGENT_VERSION }));
    const planned: PlannedHost[] = allNodes(g).map((node) => {
      const fresh = node.region === 'r2';
      const transport = new RecordingTransport(node.name)
        .on(/^sh -s$/, (command, { options }) => {
          order.push(node.name);
          return local.exec(command, { stdin: options.stdin });
        })
        .on(ASK_AGENT, () => {
          if (!fresh) return { code: 0, stdout: view(node.name === 'n1' ? 'leader' : 'member', 'n1', 'n1', node.name === 'n1') };
          if (!order.includes(node.name)) return { code: 7, stderr: 'curl: (7) Failed to connect' };
          if (!elected(node.subgrid)) return { code: 0, stdout: view('searching', null, null, false) };
          const superPeer = `${node.subgrid}1`;
          const regionPeer = elected('a') && elected('b') ? 'a1' : null;
          return { code: 0, stdout: view(node.name === superPeer ? 'leader' : 'member', superPeer, regionPeer, regionPeer === node.name) };
        });
      const agent = new CommandResource({ name: 'agent', command: 'true' });
      return {
        session: { node, transport, facts: { ...facts(), agentVersion: fresh ? null : AGENT_VERSION } },
        resources: new Map([[agent.id, agent]]),
        handlers: [],
        managedUnits: new Set<string>(['gridagent.service']),
        kernelEntries: {},
        plan: { host: node.name, address: node.address, playbooks: ['agent'], changes: fresh ? [agent.diff('')!] : [], notes: [], handlers: [] },
      };
    });
    const { ctx, progress } = contextFor(g, planned, { rolling: true });
    await applyInBatches.run(ctx);
    expect(ctx.stopped).toBeUndefined();
    expect(order).toEqual(['a1', 'a2', 'a3', 'b1', 'b2', 'b3']);
    expect(progress.at(-1)).toMatch(/^batch 6\/6 healthy after [\d.]+ s: r1\/s1 n1, r2\/a a1, r2\/b b1$/);
    expect(ctx.overlay).toMatchObject({ converged: true, nodes: 9, regionPeers: { r1: 'n1', r2: 'a1' } });
  }, 60_000);

  it('a gate takes no word for a renamed super peer whose old name left in a batch done: it waits for the sub-grid to follow a node that stays', async () => {
    // n1, the super peer, is renamed n1b (same host): its agent runs as n1 until n1b's batch, the
    // last, leaves under the old name (agent-rename) and starts n1b fresh. n2 and n3 keep naming
    // n1 for 4 s after that, then follow n2. The gate must not record n1, which is gone.
    const g = gridOf('rollout: { maxUnavailable: 1, healthTimeout: 10s }\nregions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1b, address: 10.0.0.1 }, { name: n2, address: 10.0.0.2 }, { name: n3, address: 10.0.0.3 }] }] }]\n');
    const order: string[] = [];
    let leftAt: number | undefined;
    const view = (role: string, superPeer: string) => agentAnswer(JSON.stringify({ role, regionRole: role === 'leader' ? 'leader' : 'inactive', term: 1, superPeer, regionPeer: role === 'leader' ? superPeer : null, members: [], version: AGENT_VERSION }));
    const planned: PlannedHost[] = allNodes(g).map((node) => {
      const transport = new RecordingTransport(node.name)
        .on(/^sh -s$/, (command, { options }) => {
          order.push(node.name);
          if (node.name === 'n1b') leftAt = Date.now();
          return local.exec(command, { stdin: options.stdin });
        })
        .on(ASK_AGENT, () => {
          // Before its batch, n1b's agent is n1's, and says so: the super peer n1.
          if (leftAt === undefined) return { code: 0, stdout: view(node.name === 'n1b' ? 'leader' : 'member', 'n1') };
          const noticed = Date.now() - leftAt >= 4000;
          return { code: 0, stdout: noticed ? view(node.name === 'n2' ? 'leader' : 'member', 'n2') : view('member', 'n1') };
        });
      const upgrade = new CommandResource({ name: 'upgrade', command: 'true' });
      return {
        session: { node, transport, facts: { ...facts(), agentVersion: AGENT_VERSION } },
        resources: new Map([[upgrade.id, upgrade]]),
        handlers: [],
        managedUnits: new Set<string>(),
        kernelEntries: {},
        plan: { host: node.name, address: node.address, playbooks: node.name === 'n1b' ? ['agent-rename', 'upgrade'] : ['upgrade'], changes: [upgrade.diff('')!], notes: [], handlers: [], ...(node.name === 'n1b' ? { renamedFrom: ['n1'] } : {}) },
      };
    });
    const { ctx, progress } = contextFor(g, planned, { rolling: true });
    ctx.renamed.set('n1', 'n1b');
    await applyInBatches.run(ctx);
    expect(order).toEqual(['n2', 'n3', 'n1b']);
    expect(ctx.stopped).toBeUndefined();
    expect(progress.at(-1)).toMatch(/^batch 3\/3 healthy after [\d.]+ s: r1\/s1 n2 \(was n1\)$/);
    expect(ctx.overlay).toMatchObject({ converged: true, superPeers: { 'r1/s1': 'n2' }, regionPeers: { r1: 'n2' } });
  }, 60_000);

  it('stops at the first batch whose gate fails; later batches stay untouched', async () => {
    const g = grid(1000);
    const { planned, order } = fleet(g, 'n2');
    const { ctx } = contextFor(g, planned, { rolling: true });
    await applyInBatches.run(ctx);
    expect(order).toEqual(['n2']);
    expect(ctx.stopped).toMatchObject({ batch: 1, batches: 3, reason: 'unhealthy' });
    expect(ctx.stopped!.detail).toContain('n2: searching');
    expect(ctx.outcomes.map((o) => [o.host, o.status])).toEqual([
      ['n1', 'skipped'],
      ['n2', 'applied'],
      ['n3', 'skipped'],
    ]);
  });

  it('Ctrl-C during a health check is an interrupt after that batch (exit 130), not an unhealthy overlay', async () => {
    const g = grid();
    const { planned, order } = fleet(g);
    const abort = new AbortController();
    // The first question to an agent after a batch is the gate's: Ctrl-C comes while it polls.
    for (const p of planned) {
      const leads = p.session.node.name === 'n1';
      const view = { role: leads ? 'leader' : 'member', regionRole: leads ? 'leader' : 'inactive', term: 1, superPeer: 'n1', regionPeer: leads ? 'n1' : null, members: [], version: AGENT_VERSION };
      (p.session.transport as RecordingTransport).on(ASK_AGENT, () => {
        if (order.length) abort.abort();
        return { code: 0, stdout: agentAnswer(JSON.stringify(view)) };
      });
    }
    const { ctx } = contextFor(g, planned, { rolling: true });
    Object.assign(ctx.options, { signal: abort.signal });
    await applyInBatches.run(ctx);
    expect(order).toEqual(['n2']);
    expect(ctx.stopped).toMatchObject({ batch: 1, batches: 3, reason: 'interrupted', detail: 'during the health check after batch 1/3' });
    expect(ctx.overlay).toBeUndefined();
    ctx.unreachable = [];
    const err = (() => {
      try {
        applyOutcome(ctx);
      } catch (e) {
        return e as InterruptedError;
      }
    })();
    expect(err).toBeInstanceOf(InterruptedError);
    expect(err!.exitCode).toBe(ExitCode.INTERRUPTED);
    expect(err!.message).toBe('interrupted: 1 host applied; 2 hosts not started, untouched; batch 1 of 3 done; interrupted during the health check after batch 1/3');
    expect(err!.hint).toContain('run the same apply again to resume');
  });

  it('Ctrl-C while a batch applies, some of its hosts not started, is an interrupt during that batch, not after it', async () => {
    // Five nodes, two at a time: n2+n3, then n4+n5, then the super peer n1. Ctrl-C comes as n4
    // starts; one host at a time, so n5 never starts, and batch 2 is not done.
    const g = { ...gridOf(`rollout: { maxUnavailable: 2, healthTimeout: 5s }\nregions: [{ name: r1, subgrids: [{ name: s1, nodes: [${[1, 2, 3, 4, 5].map((i) => `{ name: n${i}, address: 10.0.0.${i} }`).join(', ')}] }] }]\n`) };
    const { planned, order } = fleet(g);
    const abort = new AbortController();
    const { ctx } = contextFor(g, planned, { rolling: true });
    Object.assign(ctx.options, { signal: abort.signal, concurrency: 1, emit: (e: { type: string; host: string }) => e.type === 'change-start' && e.host === 'n4' && abort.abort() });
    await applyInBatches.run(ctx);
    expect(order).toEqual(['n2', 'n3', 'n4']);
    expect(ctx.outcomes.map((o) => [o.host, o.status])).toEqual([
      ['n1', 'skipped'],
      ['n2', 'applied'],
      ['n3', 'applied'],
      ['n4', 'applied'],
      ['n5', 'skipped'],
    ]);
    expect(ctx.stopped).toMatchObject({ batch: 1, batches: 3, reason: 'interrupted', detail: 'during batch 2/3 (n5 not started)' });
    ctx.unreachable = [];
    expect(() => applyOutcome(ctx)).toThrow('interrupted: 3 hosts applied; 2 hosts not started, untouched; batch 1 of 3 done; interrupted during batch 2/3 (n5 not started)');
  }, 30_000); // the gate after batch 1 waits GATE_STABLE_MS of stable agreement

  it('Ctrl-C during the gate after batch 2 records no overlay: the one batch 1\'s gate saw is not the overlay now', async () => {
    const g = grid();
    const { planned, order } = fleet(g);
    const abort = new AbortController();
    // n3 is batch 2: once it applied, the next question to an agent is its gate's. n1 leads throughout.
    for (const p of planned) {
      const leads = p.session.node.name === 'n1';
      const view = { role: leads ? 'leader' : 'member', regionRole: leads ? 'leader' : 'inactive', term: 1, superPeer: 'n1', regionPeer: leads ? 'n1' : null, members: [], version: AGENT_VERSION };
      (p.session.transport as RecordingTransport).on(ASK_AGENT, () => {
        if (order.includes('n3')) abort.abort();
        return { code: 0, stdout: agentAnswer(JSON.stringify(view)) };
      });
    }
    const { ctx } = contextFor(g, planned, { rolling: true });
    Object.assign(ctx.options, { signal: abort.signal });
    await applyInBatches.run(ctx);
    expect(order).toEqual(['n2', 'n3']);
    expect(ctx.stopped).toMatchObject({ batch: 2, batches: 3, reason: 'interrupted', detail: 'during the health check after batch 2/3' });
    expect(ctx.overlay).toBeUndefined();
  }, 30_000); // the gate after batch 1 waits GATE_STABLE_MS of stable agreement
});

describe('apply in batches, rolling under --limit, when a first election waits for voters outside the run', () => {
  const newSubgrid = 'regions: [{ name: r1, subgrids: [{ name: a, nodes: [{ name: a1, address: 10.0.0.1 }, { name: a2, address: 10.0.0.2 }, { name: a3, address: 10.0.0.3 }] }] }]\n';
  // The agent the run deploys reports the version gridops ships, as gridagent's /status does.
  const searching = () => ({ code: 0, stdout: agentAnswer(JSON.stringify({ role: 'searching', term: 1, superPeer: null, regionPeer: null, members: [], version: AGENT_VERSION })) });

  /** `apply --rolling --limit a1` of a new sub-grid a1, a2, a3: only a1 is planned, born with an electorate of all three, and searches (1 vote of 3). */
  function limitedToA1(ranBefore: boolean) {
    const g = gridOf(newSubgrid);
    const node = allNodes(g).find((n) => n.name === 'a1')!;
    const order: string[] = [];
    const transport = new RecordingTransport('a1')
      .on(/^sh -s$/, (command, { options }) => {
        order.push('a1');
        return local.exec(command, { stdin: options.stdin });
      })
      .on(ASK_AGENT, () => (ranBefore || order.length ? searching() : { code: 7, stderr: 'curl: (7) Failed to connect' }));
    const agent = new CommandResource({ name: 'agent', command: 'true' });
    const planned: PlannedHost[] = [
      {
        session: { node, transport, facts: { ...facts(), agentVersion: ranBefore ? AGENT_VERSION : null } },
        resources: new Map([[agent.id, agent]]),
        handlers: [],
        managedUnits: new Set(['gridagent.service']),
        kernelEntries: {},
        bootstrap: { subgrid: ['a1', 'a2', 'a3'], region: ['a'], peerRegions: [] },
        plan: { host: 'a1', address: node.address, playbooks: ['agent'], changes: [agent.diff('')!], notes: [], handlers: [] },
      },
    ];
    const { ctx, progress } = contextFor({ ...g, rollout: { ...g.rollout, healthTimeoutMs: 5000 } }, planned, { rolling: true, limit: ['a1'] });
    return { ctx, progress, order };
  }

  it('the gate does not wait for a1 searching, and the run says why, once', async () => {
    const { ctx, progress, order } = limitedToA1(false);
    await applyInBatches.run(ctx);
    expect(order).toEqual(['a1']);
    expect(ctx.stopped).toBeUndefined();
    expect(ctx.overlay).toMatchObject({ converged: true, waitingFor: [] });
    expect(progress.filter((m) => m === 'r1/a: its first election waits for a2, a3 (outside --limit)')).toHaveLength(1);
  }, 30_000);

  it('a later rolling run of a1 alone starts: a1 still searching is no overlay to refuse', async () => {
    const { ctx, progress, order } = limitedToA1(true);
    await applyInBatches.run(ctx);
    expect(order).toEqual(['a1']);
    expect(ctx.stopped).toBeUndefined();
    expect(progress.filter((m) => m === 'r1/a: its first election waits for a2, a3 (outside --limit)')).toHaveLength(1);
  }, 30_000);

  it('verify after the gates does not say the waits again', async () => {
    const { ctx, progress } = limitedToA1(false);
    await applyInBatches.run(ctx);
    ctx.overlay = undefined;
    await verifyOverlay.run(ctx);
    expect(progress.filter((m) => m.startsWith('r1/a: its first election waits'))).toHaveLength(1);
  }, 30_000);
});

describe('apply in batches, rolling with a decommission (review B4)', () => {
  it('the removal batch runs after the last gate: the overlay is verified again, and what is recorded is the overlay without the node', async () => {
    // n1, the super peer, was dropped from the topology: n2 and n3 roll (gated), then n1 is
    // decommissioned in a last batch without a gate, and hands its role to n2 as it goes.
    const { planned, order } = fleet(grid());
    const g = gridOf('rollout: { maxUnavailable: 1, healthTimeout: 5s }\nregions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n2, address: 10.0.0.2 }, { name: n3, address: 10.0.0.3 }] }] }]\n');
    const { ctx, progress } = contextFor(g, planned, { rolling: true });
    ctx.removing.add('n1');
    ctx.recordedOnly.add('n1');
    await applyInBatches.run(ctx);
    expect(order).toEqual(['n2', 'n3', 'n1']);
    expect(progress).toContain('batch 3/3: n1 (decommissioned nodes)');
    expect(verifyOverlay.shouldRun!(ctx)).toBe(true);
    await verifyOverlay.run(ctx);
    expect(ctx.overlay).toMatchObject({ converged: true, superPeers: { 'r1/s1': 'n2' }, nodes: 2 });
  }, 30_000);
});

describe('apply in batches, rolling, before the first batch (review B3)', () => {
  it('apply refuses an overlay not converged before it asks the question, not after a yes (review s45 2)', async () => {
    const g = grid(1000);
    const { planned, order } = fleet(g);
    (planned[2]!.session.transport as RecordingTransport).on(ASK_AGENT, () => ({ code: 0, stdout: agentAnswer(JSON.stringify({ role: 'searching', term: 1, superPeer: null, regionPeer: null, members: [] })) }));
    const asked = jest.fn(async () => true);
    const { ctx } = contextFor(g, planned, { rolling: true });
    Object.assign(ctx.options, { confirm: asked });
    // apply's phases from the last check on, over a context as the read and plan leave it.
    const run = runPhases(APPLY_PHASES.slice(APPLY_PHASES.indexOf(checkRollingBudget)), ctx);
    await expect(run).rejects.toThrow(OverlayNotConvergedError);
    expect(asked).not.toHaveBeenCalled();
    expect(order).toEqual([]);
  });

  it('a host that could not be planned is refused by the question\'s phase, naming it, before any agent is asked', async () => {
    const g = grid(1000);
    const { planned } = fleet(g);
    const { ctx } = contextFor(g, planned, { rolling: true });
    ctx.plan = { ...ctx.plan, hosts: [...ctx.plan.hosts, { host: 'n9', changes: [], error: { kind: 'planning', message: 'qemu.conf sets user = "root"' } } as unknown as (typeof ctx.plan.hosts)[number]] };
    expect(askAgentsBeforeRolling.shouldRun!(ctx)).toBe(false);
  });

  it('the batches start from what the agents said before the question; a view older than a gate\'s stable window is asked again', async () => {
    const g = grid();
    const { planned } = fleet(g);
    const { ctx } = contextFor(g, planned, { rolling: true });
    const asks = () => planned.flatMap((p) => (p.session.transport as RecordingTransport).commands()).filter((c) => ASK_AGENT.test(c)).length;
    await askAgentsBeforeRolling.run(ctx);
    const before = asks();
    expect(before).toBeGreaterThan(0);
    expect([...ctx.rollingStart!.peers.superPeers]).toEqual(['n1']);
    await chooseBatchStrategy(ctx);
    expect(asks()).toBe(before);
    ctx.rollingStart = { ...ctx.rollingStart!, askedAt: Date.now() - GATE_STABLE_MS - 1 };
    await chooseBatchStrategy(ctx);
    expect(asks()).toBeGreaterThan(before);
  });

  it('refuses, changing nothing, while the overlay has not converged: an agent that is not joined', async () => {
    const g = grid(1000);
    const { planned, order } = fleet(g);
    // n3's agent runs but searches: its sub-grid has lost a voter before anything restarts.
    (planned[2]!.session.transport as RecordingTransport).on(ASK_AGENT, () => ({ code: 0, stdout: agentAnswer(JSON.stringify({ role: 'searching', term: 1, superPeer: null, regionPeer: null, members: [] })) }));
    const { ctx } = contextFor(g, planned, { rolling: true });
    const run = applyInBatches.run(ctx);
    await expect(run).rejects.toThrow(OverlayNotConvergedError);
    await expect(run).rejects.toThrow(/^--rolling needs a converged overlay to start from, and it did not converge within 1 s: n3: searching.*; nothing was changed$/);
    await expect(run).rejects.toMatchObject({ hint: expect.stringContaining('gridops status') });
    expect(order).toEqual([]);
  });

  it('where agents search for votes of nodes this run deploys, the hint says a plain apply deploys them: --rolling never could', async () => {
    const g = grid(1000);
    const { planned, order } = fleet(g);
    // A first apply reached n1 and n2 only: they wait for n3's vote, and this run deploys n3's agent.
    const searching = () => ({ code: 0, stdout: agentAnswer(JSON.stringify({ role: 'searching', term: 1, superPeer: null, regionPeer: null, members: [] })) });
    for (const p of planned.slice(0, 2)) (p.session.transport as RecordingTransport).on(ASK_AGENT, searching);
    planned[2] = { ...planned[2]!, session: { ...planned[2]!.session, facts: { ...planned[2]!.session.facts, agentVersion: null } }, managedUnits: new Set(['gridagent.service']) };
    const { ctx } = contextFor(g, planned, { rolling: true });
    const run = applyInBatches.run(ctx);
    await expect(run).rejects.toThrow(OverlayNotConvergedError);
    await expect(run).rejects.toMatchObject({ hint: expect.stringContaining('if they wait for nodes this run deploys (n3), run apply without --rolling, which deploys them') });
    expect(order).toEqual([]);
    // Where no agent is new, the hint does not say so.
    const settled = fleet(g);
    (settled.planned[2]!.session.transport as RecordingTransport).on(ASK_AGENT, searching);
    await expect(applyInBatches.run(contextFor(g, settled.planned, { rolling: true }).ctx)).rejects.toMatchObject({ hint: expect.not.stringContaining('without --rolling') });
  });

  it('where an agent that does not answer is on a host with changes planned, the hint says to apply it without --rolling first: running --rolling again would refuse again', async () => {
    const g = grid(1000);
    const { planned, order } = fleet(g);
    // n3's upgrade failed half-way in an earlier rolling run: its agent is down, and its changes are still planned.
    (planned[2]!.session.transport as RecordingTransport).on(ASK_AGENT, () => ({ code: 7, stderr: 'curl: (7) Failed to connect' }));
    const run = applyInBatches.run(contextFor(g, planned, { rolling: true }).ctx);
    await expect(run).rejects.toThrow(OverlayNotConvergedError);
    await expect(run).rejects.toMatchObject({ hint: expect.stringContaining('n3 has changes planned and its agent does not answer: apply n3 without --rolling first (`gridops apply t.yaml --limit n3`), then run the rolling apply again') });
    expect(order).toEqual([]);
    // With nothing planned for n3, an apply would not repair it: the hint does not say so.
    const { ctx } = contextFor(g, planned, { rolling: true });
    ctx.planned = ctx.planned.map((p) => (p.session.node.name === 'n3' ? { ...p, plan: { ...p.plan, changes: [] } } : p));
    await expect(applyInBatches.run(ctx)).rejects.toMatchObject({ hint: expect.not.stringContaining('without --rolling') });
  });

  it('counts a node that could not be reached against its sub-grid budget', async () => {
    // Five nodes, n1 the super peer and n2, n3 its mirrors, maxUnavailable 2: n2 and n4 (no voter)
    // would go together; with n5 (no voter either) unreachable, one at a time.
    const g = gridOf(`rollout: { maxUnavailable: 2, healthTimeout: 5s }\nregions: [{ name: r1, subgrids: [{ name: s1, nodes: [${[1, 2, 3, 4, 5].map((i) => `{ name: n${i}, address: 10.0.0.${i} }`).join(', ')}] }] }]\n`);
    const { planned } = fleet(g, undefined, {}, ['n2', 'n3']);
    const { ctx, progress } = contextFor(g, planned.slice(0, 4));
    Object.assign(ctx.options, { rolling: true });
    ctx.unreachable = [{ node: planned[4]!.session.node, error: new Error('n5: cannot connect') }];
    // n5 ran the agent (a node never built would not be down, only not there yet).
    const ranAgent = { topologyHash: 'x', playbooks: ['agent'], gridopsVersion: '0', agentVersion: '0.1.0', appliedAt: '', changesApplied: 0, lastOutcome: 'applied' };
    jest.spyOn(ctx, 'recordedState').mockResolvedValue({ format: 'gridops-state/v1', grid: 'g', serial: 1, hosts: { n1: ranAgent, n2: ranAgent, n3: ranAgent, n4: ranAgent, n5: ranAgent } } as unknown as GridState);
    await applyInBatches.run(ctx);
    expect(progress.filter((m) => /^batch \d\/\d: /.test(m))).toEqual(['batch 1/4: n2 (nodes)', 'batch 2/4: n3 (nodes)', 'batch 3/4: n4 (nodes)', 'batch 4/4: n1 (super peers, which hand their role over)']);
  }, 30_000);
});

describe('apply in batches, without --rolling', () => {
  it('applies every changed host in one batch with no gate when the plan elects nobody', async () => {
    const g = grid();
    const { planned, order } = fleet(g);
    const { ctx } = contextFor(g, planned);
    await applyInBatches.run(ctx);
    expect([...order].sort()).toEqual(['n1', 'n2', 'n3']);
    expect(ctx.overlay).toBeUndefined();
    expect(ctx.outcomes.map((o) => o.status)).toEqual(['applied', 'applied', 'applied']);
  });

  it("says a change's step warnings (what it repaired on its way) though its host succeeded: a succeeded step's stderr is shown nowhere else", async () => {
    const g = grid();
    const { planned } = fleet(g);
    // The rest of its stderr stays unsaid; the warning, read from the host, is printed escaped.
    const repaired = new RepairingCommand('upgrade', "echo 'Setting up hello' >&2", quote('dpkg was interrupted earlier; finished it\u001b[2J'));
    planned[1] = { ...planned[1]!, resources: new Map([[repaired.id, repaired]]), plan: { ...planned[1]!.plan, changes: [repaired.diff('')!] } };
    const { ctx, progress } = contextFor(g, planned);
    await applyInBatches.run(ctx);
    expect(ctx.outcomes.map((o) => o.status)).toEqual(['applied', 'applied', 'applied']);
    expect(progress.filter((m) => m.includes('dpkg') || m.includes('hello'))).toEqual(['warning: n2: command upgrade: dpkg was interrupted earlier; finished it\\u001b[2J']);
  });

  it('starts the planned super peers first when the plan elects a fresh sub-grid', async () => {
    const g = grid();
    const { planned, order } = fleet(g);
    const { ctx, progress } = contextFor(g, planned);
    ctx.plan = { ...ctx.plan, election: { subgrids: [{ region: 'r1', subgrid: 's1', status: 'initial', superPeer: 'n3', ranking: [], unknown: [] }], regions: [] } as never };
    await applyInBatches.run(ctx);
    expect(order[0]).toBe('n3');
    expect(progress).toContain('batch 1/2: n3 (the planned super peers)');
  });

  it('after Ctrl-C starts no further batch, and reports those hosts as not started', async () => {
    const g = grid();
    const { planned } = fleet(g);
    const abort = new AbortController();
    const { ctx } = contextFor(g, planned);
    Object.assign(ctx.options, { signal: abort.signal, emit: (e: { type: string }) => e.type === 'host-done' && abort.abort() });
    ctx.plan = { ...ctx.plan, election: { subgrids: [{ region: 'r1', subgrid: 's1', status: 'initial', superPeer: 'n1', ranking: [], unknown: [] }], regions: [] } as never };
    await applyInBatches.run(ctx);
    expect(ctx.outcomes.map((o) => [o.host, o.status])).toEqual([
      ['n1', 'applied'],
      ['n2', 'skipped'],
      ['n3', 'skipped'],
    ]);
    expect(ctx.stopped).toMatchObject({ reason: 'interrupted' });
  });

  it('Ctrl-C while an ungated batch applies, some of its hosts not started, is an interrupt during that batch, naming them', async () => {
    // Sub-grids a, b and c of two nodes, each new, its first node the planned super peer: batch 1
    // is a1, b1 and c1, one at a time; Ctrl-C comes as b1 starts, so c1 never does.
    const g = gridOf(`regions: [{ name: r1, subgrids: [${['a', 'b', 'c'].map((sg, i) => `{ name: ${sg}, nodes: [{ name: ${sg}1, address: 10.0.${i}.1 }, { name: ${sg}2, address: 10.0.${i}.2 }] }`).join(', ')}] }]\n`);
    const { planned, order } = fleet(g);
    const abort = new AbortController();
    const { ctx } = contextFor(g, planned);
    Object.assign(ctx.options, { signal: abort.signal, concurrency: 1, emit: (e: { type: string; host: string }) => e.type === 'change-start' && e.host === 'b1' && abort.abort() });
    ctx.plan = { ...ctx.plan, election: { subgrids: ['a', 'b', 'c'].map((sg) => ({ region: 'r1', subgrid: sg, status: 'initial', superPeer: `${sg}1`, ranking: [], unknown: [] })), regions: [] } as never };
    await applyInBatches.run(ctx);
    expect(order).toEqual(['a1', 'b1']);
    expect(ctx.stopped).toMatchObject({ batch: 0, batches: 2, reason: 'interrupted', detail: 'during batch 1/2 (c1 not started)' });
    ctx.unreachable = [];
    expect(() => applyOutcome(ctx)).toThrow('interrupted: 2 hosts applied; 4 hosts not started, untouched; no batch done; interrupted during batch 1/2 (c1 not started)');
  });
  it('Ctrl-C early in a batch of many hosts names a few of those not started, not all of them', async () => {
    const g = gridOf(`regions: [{ name: r1, subgrids: [{ name: s1, nodes: [${Array.from({ length: 7 }, (_, i) => `{ name: n${i + 1}, address: 10.0.0.${i + 1} }`).join(', ')}] }] }]\n`);
    const { planned, order } = fleet(g);
    const abort = new AbortController();
    const { ctx } = contextFor(g, planned);
    Object.assign(ctx.options, { signal: abort.signal, concurrency: 1, emit: (e: { type: string; host: string }) => e.type === 'change-start' && e.host === 'n1' && abort.abort() });
    await applyInBatches.run(ctx);
    expect(order).toEqual(['n1']);
    expect(ctx.stopped).toMatchObject({ reason: 'interrupted', detail: 'during batch 1/1 (n2, n3, n4 and 3 more hosts not started)' });
  });
});
