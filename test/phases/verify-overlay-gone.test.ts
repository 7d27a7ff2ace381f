import { AGENT_VERSION } from '../../src/agent/version.js';
import type { HostSession } from '../../src/facts/host-session.js';
import { verifyOverlay } from '../../src/phases/verify-overlay.js';
import { RunContext } from '../../src/phases/run-context.js';
import type { Plan } from '../../src/plan/plan.js';
import { statePaths } from '../../src/state/state.js';
import { gridOf, facts } from '../resources/fixtures.js';
import { allNodes } from '../../src/topology/model.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { ASK_AGENT, agentAnswer } from '../overlay/agent-answer.js';
import { loadPlaybook, type LoadedPlaybook } from '../../src/playbooks/load.js';
import { AGENT_RENAME_PLAYBOOK } from '../../src/phases/renamed-agent.js';

/** The agent's /status answer, for a node that follows `leader`. */
const agentStatus = (self: string, leader: string) =>
  agentAnswer(JSON.stringify({ role: leader === self ? 'leader' : 'member', regionRole: leader === self ? 'leader' : 'inactive', term: 1, superPeer: leader, regionPeer: leader, members: [], version: AGENT_VERSION }));

/**
 * n1 led s1 and is decommissioned by this run: its agent is gone, not asked, and n2 and n3 keep
 * naming it until their failure detection notices (about 17 s in the field; two asks here).
 */
describe('verify the overlay after a super peer was decommissioned (review site 2)', () => {
  it('keeps asking until the sub-grid follows a node that stays; the record never names the node removed', async () => {
    const grid = gridOf('regions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n2, address: 10.0.0.2 }, { name: n3, address: 10.0.0.3 }] }] }]\n');
    let asks = 0;
    const sessions: HostSession[] = allNodes(grid).map((node) => ({
      node,
      facts: { ...facts(), agentVersion: AGENT_VERSION },
      transport: new RecordingTransport(node.name).on(ASK_AGENT, () => ({ code: 0, stdout: agentStatus(node.name, ++asks <= 4 ? 'n1' : 'n2') })),
    }));
    const ctx = new RunContext({ topologyFile: 't.yaml', concurrency: 2, acceptNewHostKeys: false, progress: () => undefined });
    ctx.setGrid(grid, statePaths('t.yaml', grid.name));
    ctx.plan = { hosts: [] } as unknown as Plan;
    ctx.planned = sessions.map((session) => ({ session, managedUnits: new Set(), plan: { playbooks: [] } }) as unknown as RunContext['planned'][number]);
    ctx.removing.add('n1');
    ctx.recordedOnly.add('n1');
    ctx.workflow = { byNode: new Map(), refs: [], adHoc: false };
    await verifyOverlay.run(ctx);
    expect(ctx.overlay).toMatchObject({ converged: true, superPeers: { 'r1/s1': 'n2' }, regionPeers: { r1: 'n2' } });
    expect(asks).toBeGreaterThan(4);
  });
});

/**
 * The topology renamed super peer n3 to n3b (same host). The old name's agent leaves only in a run
 * that applies n3b (renamed-agent.ts); a `--limit n1` run leaves it leading, under its old name.
 */
describe('verify the overlay while a renamed super peer is outside the run (review finding 3)', () => {
  const topology = 'regions: [{ name: r1, subgrids: [{ name: a, nodes: [{ name: n1, address: 10.0.0.1 }, { name: n2, address: 10.0.0.2 }, { name: n3b, address: 10.0.0.3 }] }] }]\n';
  async function verifyRun(selected: string[], byNode: Map<string, LoadedPlaybook[]>): Promise<RunContext> {
    const grid = gridOf(topology);
    const sessions: HostSession[] = allNodes(grid)
      .filter((n) => selected.includes(n.name))
      .map((node) => ({ node, facts: { ...facts(), agentVersion: AGENT_VERSION }, transport: new RecordingTransport(node.name).on(ASK_AGENT, () => ({ code: 0, stdout: agentStatus(node.name, 'n3') })) }));
    const ctx = new RunContext({ topologyFile: 't.yaml', concurrency: 2, acceptNewHostKeys: false, progress: () => undefined, limit: selected });
    ctx.setGrid({ ...grid, rollout: { ...grid.rollout, healthTimeoutMs: 1_500 } }, statePaths('t.yaml', grid.name));
    ctx.plan = { hosts: [] } as unknown as Plan;
    // Each host's plan runs its workflow's playbooks, as the planner makes it.
    const playbooks = (name: string) => (byNode.get(name) ?? []).map((p) => p.ref);
    ctx.planned = sessions.map((session) => ({ session, managedUnits: new Set(), plan: { playbooks: playbooks(session.node.name) } }) as unknown as RunContext['planned'][number]);
    ctx.renamed.set('n3', 'n3b');
    ctx.workflow = { byNode, refs: [], adHoc: false };
    await verifyOverlay.run(ctx);
    return ctx;
  }

  it('--limit n1: n3 still leads under its old name, and the run records it so', async () => {
    const ctx = await verifyRun(['n1'], new Map([['n1', [loadPlaybook('agent')]]]));
    expect(ctx.overlay).toMatchObject({ converged: true, superPeers: { 'r1/a': 'n3' }, waitingFor: [] });
  });

  it('a run that applies n3b makes n3 leave: n3 is no super peer, whoever still names it', async () => {
    const ctx = await verifyRun(['n1', 'n3b'], new Map([['n1', [loadPlaybook('agent')]], ['n3b', [loadPlaybook(AGENT_RENAME_PLAYBOOK), loadPlaybook('agent')]]]));
    expect(ctx.overlay).toMatchObject({ converged: false, superPeers: { 'r1/a': null }, waitingFor: ['r1/a: no super peer yet (its nodes still follow n3, which this run removes)'] });
  });
});
