import { AGENT_VERSION } from '../../src/agent/version.js';
import { OverlayNotConvergedError } from '../../src/errors/index.js';
import type { HostSession } from '../../src/facts/host-session.js';
import { applyOutcome } from '../../src/phases/apply-outcome.js';
import { RunContext } from '../../src/phases/run-context.js';
import { verifyOverlay } from '../../src/phases/verify-overlay.js';
import type { Plan } from '../../src/plan/plan.js';
import { statePaths } from '../../src/state/state.js';
import { allNodes } from '../../src/topology/model.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { facts, gridOf } from '../resources/fixtures.js';
import { ASK_AGENT, agentAnswer } from '../overlay/agent-answer.js';

/** What the agents ran before this run. */
const OLD = '0.0.9';

/**
 * Verify after an apply of n1 and n2 (one sub-grid, n1 its super peer): each answers a converged
 * view with the version `runs` gives it (undefined: an agent that does not say); `playbooks` is
 * what the run planned on each, and `outcome` how it went there (default: changes applied).
 */
async function verifyAfterApply(runs: (node: string) => string | undefined, playbooks: (node: string) => string[], outcome: (node: string) => 'applied' | 'unchanged' = () => 'applied'): Promise<RunContext> {
  const grid = gridOf('regions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1 }, { name: n2, address: 10.0.0.2 }] }] }]\n', `/tmp/gridops-verify-version-${process.pid}-${Math.random().toString(36).slice(2)}.yaml`);
  const sessions: HostSession[] = allNodes(grid).map((node) => {
    const leads = node.name === 'n1';
    const version = runs(node.name);
    const view = { role: leads ? 'leader' : 'member', regionRole: leads ? 'leader' : 'inactive', term: 1, superPeer: 'n1', regionPeer: 'n1', members: [], ...(version === undefined ? {} : { version }) };
    return { node, facts: { ...facts(), agentVersion: OLD }, transport: new RecordingTransport(node.name).on(ASK_AGENT, () => ({ code: 0, stdout: agentAnswer(JSON.stringify(view)) })) };
  });
  const ctx = new RunContext({ topologyFile: grid.file, concurrency: 2, acceptNewHostKeys: false, progress: () => undefined });
  // Short: a node that stays on another version fails the test fast.
  ctx.setGrid({ ...grid, rollout: { ...grid.rollout, healthTimeoutMs: 1_000 } }, statePaths(grid.file, grid.name));
  ctx.plan = { hosts: [] } as unknown as Plan;
  ctx.planned = sessions.map((session) => ({ session, managedUnits: new Set(['gridagent.service']), plan: { playbooks: playbooks(session.node.name) } }) as unknown as RunContext['planned'][number]);
  ctx.outcomes = sessions.map((s) => ({ host: s.node.name, status: outcome(s.node.name), applied: outcome(s.node.name) === 'applied' ? 1 : 0 }));
  await verifyOverlay.run(ctx);
  return ctx;
}

describe('verify and the version each agent this run deployed runs', () => {
  it('an agent still answering with the old version after the run deployed the new one is not converged, and the failure says where, which versions, and what to do', async () => {
    const ctx = await verifyAfterApply((node) => (node === 'n2' ? OLD : AGENT_VERSION), () => ['agent']);
    expect(ctx.overlay).toMatchObject({ converged: false, superPeers: { 'r1/s1': 'n1' } });
    expect(ctx.overlay!.waitingFor).toEqual([`n2: its agent runs ${OLD}, not ${AGENT_VERSION}, the version installed there (the old process still runs): run \`systemctl restart gridagent\` on n2, then \`gridops apply\` again`]);
    expect(() => applyOutcome(ctx)).toThrow(OverlayNotConvergedError);
    expect(() => applyOutcome(ctx)).toThrow(`n2: its agent runs ${OLD}, not ${AGENT_VERSION}`);
  });

  it('an agent that reports no version, once the run deployed one that does, is the old process still running', async () => {
    const ctx = await verifyAfterApply((node) => (node === 'n2' ? undefined : AGENT_VERSION), () => ['agent']);
    expect(ctx.overlay!.converged).toBe(false);
    expect(ctx.overlay!.waitingFor).toEqual([expect.stringMatching(/^n2: its agent runs an older version that does not report one, not /)]);
  });

  it('every deployed agent on the version installed: converged', async () => {
    const ctx = await verifyAfterApply(() => AGENT_VERSION, () => ['agent']);
    expect(ctx.overlay).toMatchObject({ converged: true, waitingFor: [] });
  });

  it('an agent the run did not deploy (its run applied other playbooks) is not judged on its version', async () => {
    const ctx = await verifyAfterApply((node) => (node === 'n2' ? OLD : AGENT_VERSION), (node) => (node === 'n2' ? ['upgrade'] : ['agent']));
    expect(ctx.overlay).toMatchObject({ converged: true, waitingFor: [] });
  });

  it('a host the run had nothing to change on (an existing host of a --site run) is not judged on its version', async () => {
    const ctx = await verifyAfterApply((node) => (node === 'n2' ? OLD : AGENT_VERSION), () => ['agent'], (node) => (node === 'n2' ? 'unchanged' : 'applied'));
    expect(ctx.overlay).toMatchObject({ converged: true, waitingFor: [] });
  });
});
