import type { HostSession } from '../../src/facts/host-session.js';
import { verifyOverlay } from '../../src/phases/verify-overlay.js';
import { RunContext } from '../../src/phases/run-context.js';
import type { Plan } from '../../src/plan/plan.js';
import { statePaths } from '../../src/state/state.js';
import { gridOf, facts } from '../resources/fixtures.js';
import { allNodes } from '../../src/topology/model.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { ASK_AGENT, agentAnswer } from '../overlay/agent-answer.js';

const searching = agentAnswer(JSON.stringify({ role: 'searching', regionRole: 'inactive', term: 0, superPeer: null, regionPeer: null, members: [] }));

describe('verify the overlay cut short by Ctrl-C (review s44 item 5)', () => {
  it('records no overlay: what the poll last saw says nothing of its health', async () => {
    const grid = gridOf('regions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1 }, { name: n2, address: 10.0.0.2 }] }] }]\n');
    const sessions: HostSession[] = allNodes(grid).map((node) => ({ node, facts: { ...facts(), agentVersion: '0.1.0' }, transport: new RecordingTransport(node.name).on(ASK_AGENT, () => ({ code: 0, stdout: searching })) }));
    const ctrlC = new AbortController();
    const ctx = new RunContext({ topologyFile: 't.yaml', concurrency: 2, acceptNewHostKeys: false, progress: () => undefined, signal: ctrlC.signal });
    ctx.setGrid(grid, statePaths('t.yaml', grid.name));
    ctx.plan = { hosts: [] } as unknown as Plan;
    ctx.planned = sessions.map((session) => ({ session, managedUnits: new Set(), plan: { playbooks: [] } }) as unknown as RunContext['planned'][number]);
    ctx.workflow = { byNode: new Map(), refs: [], adHoc: false };
    setTimeout(() => ctrlC.abort(), 300);
    const t0 = Date.now();
    await verifyOverlay.run(ctx);
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(ctx.overlay).toBeUndefined();
  });
});
