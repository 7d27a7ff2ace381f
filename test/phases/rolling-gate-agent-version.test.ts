import { AGENT_VERSION } from '../../src/agent/version.js';
import type { PlannedHost } from '../../src/engine/planner.js';
import { applyInBatches } from '../../src/phases/apply-in-batches.js';
import { RunContext } from '../../src/phases/run-context.js';
import { PLAN_FORMAT } from '../../src/plan/plan.js';
import { CommandResource } from '../../src/resources/command.js';
import { statePaths } from '../../src/state/state.js';
import { allNodes } from '../../src/topology/model.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { facts, gridOf } from '../resources/fixtures.js';
import { ASK_AGENT, agentAnswer } from '../overlay/agent-answer.js';

const local = new LocalTransport('local');

/** The version the agents ran before this rolling upgrade. */
const OLD = '0.0.9';

/**
 * A rolling upgrade of the agent on three nodes of one sub-grid, n1 its super peer (it stays so:
 * the role never moves here). Every agent answers OLD until its host is applied, then the version
 * gridops ships; the hosts in `stale` keep answering `staleAnswer` (an old process that the
 * restart did not replace; undefined: one that reports no version). The hosts in `current` have
 * nothing to change: an earlier run installed the version gridops ships there.
 */
function rollingUpgrade(stale: Record<string, string | undefined>, healthTimeoutMs: number, current: string[] = []) {
  const g = gridOf(`rollout: { maxUnavailable: 1, healthTimeout: 5s }
regions:
  - name: r1
    subgrids:
      - name: s1
        nodes:
          - { name: n1, address: 10.0.0.1 }
          - { name: n2, address: 10.0.0.2 }
          - { name: n3, address: 10.0.0.3 }
`);
  const grid = { ...g, rollout: { ...g.rollout, healthTimeoutMs } };
  const applied: string[] = [];
  const planned: PlannedHost[] = allNodes(grid).map((node) => {
    const transport = new RecordingTransport(node.name)
      .on(/^sh -s$/, (command, { options }) => {
        applied.push(node.name);
        return local.exec(command, { stdin: options.stdin });
      })
      .on(ASK_AGENT, () => {
        const version = node.name in stale ? stale[node.name] : applied.includes(node.name) ? AGENT_VERSION : OLD;
        const role = node.name === 'n1' ? 'leader' : 'member';
        return { code: 0, stdout: agentAnswer(JSON.stringify({ role, regionRole: role === 'leader' ? 'leader' : 'inactive', term: 1, superPeer: 'n1', regionPeer: role === 'leader' ? 'n1' : null, members: [], ...(version === undefined ? {} : { version }) })) };
      });
    const upgrade = new CommandResource({ name: 'upgrade gridagent', command: 'true' });
    const done = current.includes(node.name);
    return {
      session: { node, transport, facts: { ...facts(), agentVersion: done ? AGENT_VERSION : OLD } },
      resources: new Map([[upgrade.id, upgrade]]),
      handlers: [],
      managedUnits: new Set<string>(['gridagent.service']),
      kernelEntries: {},
      // The agent playbook, as a run of the grid's workflow plans it: what deploys the new version.
      plan: { host: node.name, address: node.address, playbooks: ['agent'], changes: done ? [] : [upgrade.diff('')!], notes: [], handlers: [] },
    };
  });
  const progress: string[] = [];
  const ctx = new RunContext({ topologyFile: 't.yaml', concurrency: 10, acceptNewHostKeys: false, progress: (m) => progress.push(m), failFast: false, emit: () => undefined, rolling: true });
  ctx.setGrid(grid, statePaths('t.yaml', grid.name));
  ctx.planned = planned;
  ctx.plan = { format: PLAN_FORMAT, createdAt: '', gridopsVersion: '', topology: { file: 't.yaml', grid: 'g', sourceHash: '' }, playbooks: ['agent'], adHocPlaybooks: false, hosts: planned.map((p) => p.plan) };
  return { ctx, applied, progress };
}

describe('the rolling gate and the agent version each restarted agent runs', () => {
  it('does not pass a batch whose restarted agent still answers with the old version, and names the node and both versions', async () => {
    const { ctx, applied } = rollingUpgrade({ n2: OLD }, 1000);
    await applyInBatches.run(ctx);
    expect(applied).toEqual(['n2']);
    expect(ctx.stopped).toMatchObject({ batch: 1, batches: 3, reason: 'unhealthy' });
    expect(ctx.stopped!.detail).toContain(`n2: its agent runs ${OLD}, not ${AGENT_VERSION}`);
    expect(ctx.stopped!.detail).toContain('`systemctl restart gridagent` on n2');
    expect(ctx.outcomes.map((o) => [o.host, o.status])).toEqual([
      ['n1', 'skipped'],
      ['n2', 'applied'],
      ['n3', 'skipped'],
    ]);
  });

  it('an agent that reports no version, after this run deployed the new one, is the old process: the batch does not pass', async () => {
    const { ctx, applied } = rollingUpgrade({ n2: undefined }, 1000);
    await applyInBatches.run(ctx);
    expect(applied).toEqual(['n2']);
    expect(ctx.stopped).toMatchObject({ batch: 1, reason: 'unhealthy' });
    expect(ctx.stopped!.detail).toContain(`n2: its agent runs an older version that does not report one, not ${AGENT_VERSION}`);
  });

  it('the agents of the batches not applied yet still run the old version, and do not hold a gate back', async () => {
    const { ctx, applied, progress } = rollingUpgrade({}, 5000);
    await applyInBatches.run(ctx);
    expect(applied).toEqual(['n2', 'n3', 'n1']);
    expect(ctx.stopped).toBeUndefined();
    expect(progress.filter((m) => / healthy after /.test(m))).toHaveLength(3);
    expect(ctx.overlay).toMatchObject({ converged: true, waitingFor: [] });
  }, 30_000); // each gated batch waits GATE_STABLE_MS of stable agreement

  it('an agent on a host with nothing left to change that still runs the old process beside the new gridagent on disk holds the first gate back', async () => {
    // The re-run after a gate found n3's old process: n3 has the new version on disk, so nothing to change.
    const { ctx, applied } = rollingUpgrade({ n3: OLD }, 1000, ['n3']);
    await applyInBatches.run(ctx);
    expect(applied).toEqual(['n2']);
    expect(ctx.stopped).toMatchObject({ batch: 1, reason: 'unhealthy' });
    expect(ctx.stopped!.detail).toContain(`n3: its agent runs ${OLD}, not ${AGENT_VERSION}`);
  });
});
