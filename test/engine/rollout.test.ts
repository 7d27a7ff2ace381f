import { applyRolling } from '../../src/engine/rollout.js';
import type { PlannedHost } from '../../src/engine/planner.js';
import { CommandResource } from '../../src/resources/command.js';
import { allNodes } from '../../src/topology/model.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { facts, gridOf } from '../resources/fixtures.js';

const local = new LocalTransport('local');

const grid = (healthTimeout = '5s') =>
  gridOf(
    `rollout: { maxUnavailable: 1, healthTimeout: ${healthTimeout} }
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

/**
 * Three agents in one sub-grid, n1 its super peer, each with one change (its "upgrade"). The
 * fake overlay: applying the super peer hands its role to n2; `stuck` never rejoins.
 */
function fleet(g: ReturnType<typeof grid>, stuck?: string) {
  const order: string[] = [];
  let leader = 'n1';
  const planned: PlannedHost[] = allNodes(g).map((node) => {
    const transport = new RecordingTransport(node.name)
      .on(/^sh -s$/, (command, { options }) => {
        order.push(node.name);
        if (node.name === leader) leader = 'n2';
        return local.exec(command, { stdin: options.stdin });
      })
      .on(/^gridagent status --json$/, () => {
        const joined = !(stuck === node.name && order.includes(node.name));
        const role = !joined ? 'searching' : node.name === leader ? 'leader' : 'member';
        return { code: 0, stdout: JSON.stringify({ role, regionRole: role === 'leader' ? 'leader' : 'inactive', term: 1, superPeer: joined ? leader : null, regionPeer: role === 'leader' ? node.name : null, members: [] }) };
      });
    const upgrade = new CommandResource({ name: 'upgrade', command: 'true' });
    return {
      session: { node, transport, facts: { ...facts(), agentVersion: '0.1.0' } },
      resources: new Map([[upgrade.id, upgrade]]),
      handlers: [],
      plan: { host: node.name, address: node.address, changes: [upgrade.diff('')!], notes: [], handlers: [] },
    };
  });
  return { planned, order };
}

describe('applyRolling', () => {
  it('changes ordinary nodes one by one, then the super peer, each batch gated on the overlay', async () => {
    const g = grid();
    const { planned, order } = fleet(g);
    const progress: string[] = [];
    const r = await applyRolling(g, planned, { concurrency: 10, emit: () => undefined, progress: (m) => progress.push(m) });
    expect(r.batches).toEqual([['n2'], ['n3'], ['n1']]);
    expect(order).toEqual(['n2', 'n3', 'n1']);
    expect(r.stopped).toBeUndefined();
    expect(r.outcomes.map((o) => o.status)).toEqual(['applied', 'applied', 'applied']);
    expect(progress).toContain('rolling: batch 3/3: n1 (super peers, which hand their role over)');
    expect(progress.at(-1)).toMatch(/^rolling: batch 3\/3 healthy after [\d.]+ s: r1\/s1 n2$/);
  });

  it('stops at the first batch whose gate fails; later batches stay untouched', async () => {
    const g = grid('1s');
    const { planned, order } = fleet(g, 'n2');
    const r = await applyRolling(g, planned, { concurrency: 10, emit: () => undefined, progress: () => undefined });
    expect(order).toEqual(['n2']);
    expect(r.stopped).toMatchObject({ batch: 1, batches: 3, reason: 'unhealthy' });
    expect(r.stopped!.detail).toContain('n2: searching');
    expect(r.outcomes.map((o) => [o.host, o.status])).toEqual([
      ['n1', 'skipped'],
      ['n2', 'applied'],
      ['n3', 'skipped'],
    ]);
  });
});
