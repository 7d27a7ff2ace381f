import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_VERSION } from '../../src/agent/version.js';
import type { HostSession } from '../../src/facts/host-session.js';
import { verifyOverlay } from '../../src/phases/verify-overlay.js';
import { RunContext } from '../../src/phases/run-context.js';
import type { Plan } from '../../src/plan/plan.js';
import { statePaths, writeState, type GridState } from '../../src/state/state.js';
import type { BootstrapElectorate } from '../../src/templates/bootstrap-electorate.js';
import { allNodes } from '../../src/topology/model.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { gridOf, facts } from '../resources/fixtures.js';
import { ASK_AGENT, agentAnswer } from '../overlay/agent-answer.js';

type View = { role: string; regionRole?: string; superPeer: string | null; regionPeer: string | null };

/**
 * A --limit run of a brand-new grid (or of one whose state file holds `state`): only `limit`'s agents (less the `unreachable` ones, not reached) are
 * deployed, asked, and answer `view` (with the version deployed); every node got `bootstrap`.
 */
async function verifyUnderLimit(topology: string, limit: string[], bootstrap: (node: string) => BootstrapElectorate, view: (node: string) => View, unreachable: string[] = [], state?: Omit<GridState, 'format' | 'grid'>): Promise<{ ctx: RunContext; said: string[] }> {
  // A directory of its own: the state file lies beside the topology, and one in /tmp would be every test's.
  const dir = mkdtempSync(join(tmpdir(), 'gridops-verify-limit-'));
  const grid = gridOf(topology, join(dir, 'g.yaml'));
  if (state) await writeState(statePaths(grid.file, grid.name).state, { format: 'gridops-state/v1', grid: grid.name, ...state });
  const said: string[] = [];
  const sessions: HostSession[] = allNodes(grid)
    .filter((n) => limit.includes(n.name) && !unreachable.includes(n.name))
    .map((node) => ({
      node,
      facts: { ...facts(), agentVersion: null },
      transport: new RecordingTransport(node.name).on(ASK_AGENT, () => ({ code: 0, stdout: agentAnswer(JSON.stringify({ term: 1, members: [], version: AGENT_VERSION, ...view(node.name) })) })),
    }));
  const ctx = new RunContext({ topologyFile: grid.file, concurrency: 2, acceptNewHostKeys: false, progress: (m) => said.push(m), limit });
  ctx.setGrid({ ...grid, rollout: { ...grid.rollout, healthTimeoutMs: 3_000 } }, statePaths(grid.file, grid.name));
  ctx.unreachable = allNodes(grid)
    .filter((n) => unreachable.includes(n.name))
    .map((node) => ({ node, error: new Error(`${node.name}: cannot connect`) }));
  ctx.plan = { hosts: [] } as unknown as Plan;
  ctx.planned = sessions.map((session) => ({ session, managedUnits: new Set(['gridagent.service']), bootstrap: bootstrap(session.node.name), plan: { playbooks: ['agent'] } }) as unknown as RunContext['planned'][number]);
  try {
    await verifyOverlay.run(ctx);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { ctx, said };
}

describe('verify under --limit, when a first election waits for voters outside the run (review finding 1)', () => {
  it('a new 3-node sub-grid with only a1 applied: a1 searching is not waited for, and the run says why', async () => {
    const t0 = Date.now();
    const { ctx, said } = await verifyUnderLimit(
      'regions: [{ name: r1, subgrids: [{ name: a, nodes: [{ name: a1, address: 10.0.0.1 }, { name: a2, address: 10.0.0.2 }, { name: a3, address: 10.0.0.3 }] }] }]\n',
      ['a1'],
      () => ({ subgrid: ['a1', 'a2', 'a3'], region: ['a'], peerRegions: [] }),
      () => ({ role: 'searching', superPeer: null, regionPeer: null }),
    );
    expect(ctx.overlay).toMatchObject({ converged: true, waitingFor: [] });
    expect(ctx.overlay!.superPeers).not.toHaveProperty('r1/a');
    expect(said).toContain('r1/a: its first election waits for a2, a3 (outside --limit)');
    // Asked once: nothing it can wait for here.
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it('a sub-grid that elected and whose every node `state rm` forgot is born again: verify says whom it waits for, as for a new one', async () => {
    const t0 = Date.now();
    // What `gridops state rm g.yaml a1 a2 a3` leaves of a grid whose r1/a elected: no host, and the record of its election.
    const forgotten = { serial: 4, hosts: {}, elected: { subgrids: ['r1/a'], regions: ['r1'] } };
    const { ctx, said } = await verifyUnderLimit(
      'regions: [{ name: r1, subgrids: [{ name: a, nodes: [{ name: a1, address: 10.0.0.1 }, { name: a2, address: 10.0.0.2 }, { name: a3, address: 10.0.0.3 }] }] }]\n',
      ['a1'],
      // The bootstrap files of such a state (test/state/elected-groups.test.ts): a birth of all three.
      () => ({ subgrid: ['a1', 'a2', 'a3'], region: ['a'], peerRegions: [] }),
      () => ({ role: 'searching', superPeer: null, regionPeer: null }),
      [],
      forgotten,
    );
    expect(ctx.overlay).toMatchObject({ converged: true, waitingFor: [] });
    expect(said).toContain('r1/a: its first election waits for a2, a3 (outside --limit)');
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it('two of three may elect on their own: verify waits for that election as before', async () => {
    const { ctx, said } = await verifyUnderLimit(
      'regions: [{ name: r1, subgrids: [{ name: a, nodes: [{ name: a1, address: 10.0.0.1 }, { name: a2, address: 10.0.0.2 }, { name: a3, address: 10.0.0.3 }] }] }]\n',
      ['a1', 'a2'],
      () => ({ subgrid: ['a1', 'a2', 'a3'], region: ['a'], peerRegions: [] }),
      () => ({ role: 'searching', superPeer: null, regionPeer: null }),
    );
    expect(ctx.overlay).toMatchObject({ converged: false, waitingFor: ['a1: searching', 'a2: searching', 'r1/a: no super peer yet'] });
    expect(said.some((s) => s.includes('first election waits'))).toBe(false);
  });

  it('--limit one sub-grid of a new two-sub-grid region: the sub-grid is verified, the region vote is left to the other', async () => {
    const { ctx, said } = await verifyUnderLimit(
      'regions: [{ name: r1, subgrids: [{ name: a, nodes: [{ name: a1, address: 10.0.0.1 }] }, { name: b, nodes: [{ name: b1, address: 10.0.0.2 }] }] }]\n',
      ['a1'],
      (node) => ({ subgrid: [node], region: ['a', 'b'], peerRegions: [] }),
      () => ({ role: 'leader', regionRole: 'searching', superPeer: 'a1', regionPeer: null }),
    );
    expect(ctx.overlay).toMatchObject({ converged: true, superPeers: { 'r1/a': 'a1' }, waitingFor: [] });
    expect(ctx.overlay!.regionPeers).not.toHaveProperty('r1');
    expect(said).toContain('r1: its first election waits for sub-grid b (outside --limit)');
  });

  it('--limit both sub-grids of a new region, one of them not reached: the region vote waits for it as unreachable, not as outside --limit', async () => {
    const { said } = await verifyUnderLimit(
      'regions: [{ name: r1, subgrids: [{ name: a, nodes: [{ name: a1, address: 10.0.0.1 }] }, { name: b, nodes: [{ name: b1, address: 10.0.0.2 }] }] }]\n',
      ['a1', 'b1'],
      (node) => ({ subgrid: [node], region: ['a', 'b'], peerRegions: [] }),
      () => ({ role: 'leader', regionRole: 'searching', superPeer: 'a1', regionPeer: null }),
      ['b1'],
    );
    expect(said).toContain('r1: its first election waits for sub-grid b (unreachable)');
  });

  it('an agent that does not answer is still waited for, first election or not', async () => {
    const { ctx } = await verifyUnderLimit(
      'regions: [{ name: r1, subgrids: [{ name: a, nodes: [{ name: a1, address: 10.0.0.1 }, { name: a2, address: 10.0.0.2 }, { name: a3, address: 10.0.0.3 }] }] }]\n',
      ['a1'],
      () => ({ subgrid: ['a1', 'a2', 'a3'], region: ['a'], peerRegions: [] }),
      () => ({ role: 'not answering', superPeer: null, regionPeer: null }),
    );
    expect(ctx.overlay).toMatchObject({ converged: false, waitingFor: ['a1: not answering'] });
  });
});
