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

/** How the run went on each node, and what it read there before. */
interface RunOn {
  /** The playbooks the run planned on each node (default: the agent playbook). */
  playbooks?: (node: string) => string[];
  /** How the run went on each node (default: changes applied); `no change` leaves no outcome at all, as a run whose apply phase had nothing to do. */
  outcome?: (node: string) => 'applied' | 'unchanged' | 'no change';
  /** The version the run read from each node's VERSION file (null: no agent installed; default OLD). */
  installed?: (node: string) => string | null;
}

/**
 * Verify after an apply of n1 and n2 (one sub-grid, n1 its super peer): each answers a converged
 * view with the version `runs` gives it (undefined: an agent that does not say).
 */
async function verifyAfterApply(runs: (node: string) => string | undefined, on: RunOn = {}): Promise<RunContext> {
  const { playbooks = () => ['agent'], outcome = () => 'applied', installed = () => OLD } = on;
  const grid = gridOf('regions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1 }, { name: n2, address: 10.0.0.2 }] }] }]\n', `/tmp/gridops-verify-version-${process.pid}-${Math.random().toString(36).slice(2)}.yaml`);
  const sessions: HostSession[] = allNodes(grid).map((node) => {
    const leads = node.name === 'n1';
    const version = runs(node.name);
    const view = { role: leads ? 'leader' : 'member', regionRole: leads ? 'leader' : 'inactive', term: 1, superPeer: 'n1', regionPeer: 'n1', members: [], ...(version === undefined ? {} : { version }) };
    return { node, facts: { ...facts(), agentVersion: installed(node.name) }, transport: new RecordingTransport(node.name).on(ASK_AGENT, () => ({ code: 0, stdout: agentAnswer(JSON.stringify(view)) })) };
  });
  const ctx = new RunContext({ topologyFile: grid.file, concurrency: 2, acceptNewHostKeys: false, progress: () => undefined });
  // Short: a node that stays on another version fails the test fast.
  ctx.setGrid({ ...grid, rollout: { ...grid.rollout, healthTimeoutMs: 1_000 } }, statePaths(grid.file, grid.name));
  ctx.plan = { hosts: [] } as unknown as Plan;
  ctx.planned = sessions.map((session) => ({ session, managedUnits: new Set(['gridagent.service']), plan: { playbooks: playbooks(session.node.name) } }) as unknown as RunContext['planned'][number]);
  ctx.outcomes = sessions.flatMap((s) => {
    const status = outcome(s.node.name);
    return status === 'no change' ? [] : [{ host: s.node.name, status, applied: status === 'applied' ? 1 : 0 }];
  });
  await verifyOverlay.run(ctx);
  return ctx;
}

describe('verify and the version each agent runs, against the one installed on its host', () => {
  it('an agent still answering with the old version after the run deployed the new one is not converged, and the failure says where, which versions, and what to do', async () => {
    const ctx = await verifyAfterApply((node) => (node === 'n2' ? OLD : AGENT_VERSION));
    expect(ctx.overlay).toMatchObject({ converged: false, superPeers: { 'r1/s1': 'n1' } });
    expect(ctx.overlay!.waitingFor).toEqual([`n2: its agent runs ${OLD}, not ${AGENT_VERSION}, the version installed there (the old process still runs): run \`systemctl restart gridagent\` on n2, then run the same apply again`]);
    expect(() => applyOutcome(ctx)).toThrow(OverlayNotConvergedError);
    expect(() => applyOutcome(ctx)).toThrow(`n2: its agent runs ${OLD}, not ${AGENT_VERSION}`);
  });

  it('an agent that reports no version, once the run deployed one that does, is the old process still running', async () => {
    const ctx = await verifyAfterApply((node) => (node === 'n2' ? undefined : AGENT_VERSION));
    expect(ctx.overlay!.converged).toBe(false);
    expect(ctx.overlay!.waitingFor).toEqual([expect.stringMatching(/^n2: its agent runs an older version that does not report one, not /)]);
  });

  it('every deployed agent on the version installed: converged', async () => {
    const ctx = await verifyAfterApply(() => AGENT_VERSION);
    expect(ctx.overlay).toMatchObject({ converged: true, waitingFor: [] });
  });

  it('an agent the run did not deploy (its run applied other playbooks) that runs the version installed there: converged', async () => {
    const ctx = await verifyAfterApply((node) => (node === 'n2' ? OLD : AGENT_VERSION), { playbooks: (node) => (node === 'n2' ? ['upgrade'] : ['agent']) });
    expect(ctx.overlay).toMatchObject({ converged: true, waitingFor: [] });
  });

  it('an agent the run did not deploy is judged against the version the run read on its disk, as status judges it against the one the state records', async () => {
    const ctx = await verifyAfterApply((node) => (node === 'n2' ? '0.0.8' : AGENT_VERSION), { playbooks: (node) => (node === 'n2' ? ['upgrade'] : ['agent']) });
    expect(ctx.overlay!.converged).toBe(false);
    expect(ctx.overlay!.waitingFor).toEqual([`n2: its agent runs 0.0.8, not ${OLD}, the version installed there (the old process still runs): run \`systemctl restart gridagent\` on n2, then run the same apply again`]);
  });

  it('the re-run a failed verify asks for, with nothing left to change, still fails while the old process runs beside the new gridagent on disk', async () => {
    // The first run installed the new version and recorded it; its restart left the old process.
    const ctx = await verifyAfterApply((node) => (node === 'n2' ? OLD : AGENT_VERSION), { outcome: () => 'no change', installed: () => AGENT_VERSION });
    expect(ctx.overlay!.converged).toBe(false);
    expect(ctx.overlay!.waitingFor).toEqual([expect.stringContaining(`n2: its agent runs ${OLD}, not ${AGENT_VERSION}, the version installed there`)]);
    expect(() => applyOutcome(ctx)).toThrow(OverlayNotConvergedError);
  });

  it('a host the run had nothing to change on (an existing host of a --site run) whose agent runs the version on its disk: converged', async () => {
    const ctx = await verifyAfterApply(() => AGENT_VERSION, { outcome: (node) => (node === 'n2' ? 'unchanged' : 'applied'), installed: () => AGENT_VERSION });
    expect(ctx.overlay).toMatchObject({ converged: true, waitingFor: [] });
  });

  it('a host where the run read no agent installed, and did not deploy one, is not judged on its agent\'s version', async () => {
    const ctx = await verifyAfterApply((node) => (node === 'n2' ? OLD : AGENT_VERSION), { playbooks: (node) => (node === 'n2' ? ['upgrade'] : ['agent']), installed: (node) => (node === 'n2' ? null : OLD) });
    expect(ctx.overlay).toMatchObject({ converged: true, waitingFor: [] });
  });
});
