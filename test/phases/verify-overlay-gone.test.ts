import type { HostSession } from '../../src/facts/host-session.js';
import { verifyOverlay } from '../../src/phases/verify-overlay.js';
import { RunContext } from '../../src/phases/run-context.js';
import type { Plan } from '../../src/plan/plan.js';
import { statePaths } from '../../src/state/state.js';
import { gridOf, facts } from '../resources/fixtures.js';
import { allNodes } from '../../src/topology/model.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { ASK_AGENT, agentAnswer } from '../overlay/agent-answer.js';

/** The agent's /status answer, for a node that follows `leader`. */
const agentStatus = (self: string, leader: string) =>
  agentAnswer(JSON.stringify({ role: leader === self ? 'leader' : 'member', regionRole: leader === self ? 'leader' : 'inactive', term: 1, superPeer: leader, regionPeer: leader, members: [] }));

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
      facts: { ...facts(), agentVersion: '0.1.0' },
      transport: new RecordingTransport(node.name).on(ASK_AGENT, () => ({ code: 0, stdout: agentStatus(node.name, ++asks <= 4 ? 'n1' : 'n2') })),
    }));
    const ctx = new RunContext({ topologyFile: 't.yaml', concurrency: 2, acceptNewHostKeys: false, progress: () => undefined });
    ctx.setGrid(grid, statePaths('t.yaml', grid.name));
    ctx.plan = { hosts: [] } as unknown as Plan;
    ctx.planned = sessions.map((session) => ({ session, managedUnits: new Set() }) as unknown as RunContext['planned'][number]);
    ctx.removing.add('n1');
    ctx.recordedOnly.add('n1');
    await verifyOverlay.run(ctx);
    expect(ctx.overlay).toMatchObject({ converged: true, superPeers: { 'r1/s1': 'n2' }, regionPeers: { r1: 'n2' } });
    expect(asks).toBeGreaterThan(4);
  });
});
