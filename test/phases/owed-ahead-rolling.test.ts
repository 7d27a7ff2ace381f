import { AGENT_VERSION } from '../../src/agent/version.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { applyInBatches } from '../../src/phases/apply-in-batches.js';
import { RunContext } from '../../src/phases/run-context.js';
import { PLAN_FORMAT } from '../../src/plan/plan.js';
import { StateLock } from '../../src/state/lock.js';
import { statePaths, type GridState, type HostState } from '../../src/state/state.js';
import type { PlannedHost } from '../../src/engine/planner.js';
import { CommandResource } from '../../src/resources/command.js';
import { allNodes } from '../../src/topology/model.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { facts, gridOf } from '../resources/fixtures.js';
import { ASK_AGENT, agentAnswer } from '../overlay/agent-answer.js';

const local = new LocalTransport('local');

/**
 * A rolling apply writes the owed handlers ahead of each batch, once per batch: while a batch runs,
 * the state file holds its hosts' handlers owed, and none of a host of an earlier batch whose
 * handlers ran. Three agents in one sub-grid, n1 its super peer (which goes last), each upgraded by
 * one change that notifies `restart`.
 */
let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-owed-rolling-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('writes ahead of each batch what that batch may run, and clears a done batch once the next is written', async () => {
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
  const paths = statePaths(join(dir, 't.yaml'), g.name);
  const record: HostState = { topologyHash: 'h', playbooks: ['upgrade'], gridopsVersion: '0', agentVersion: '0.1.0', appliedAt: 'then', changesApplied: 0, lastOutcome: 'applied' };
  mkdirSync(dirname(paths.state), { recursive: true });
  writeFileSync(paths.state, JSON.stringify({ format: 'gridops-state/v1', grid: g.name, serial: 1, hosts: { n1: record, n2: record, n3: record } }));

  // What the state file owed, by host, each time a batch reached its host.
  const owedDuring: Record<string, Record<string, string[] | undefined>> = {};
  let leader = 'n1';
  const order: string[] = [];
  const planned: PlannedHost[] = allNodes(g).map((node) => {
    const transport = new RecordingTransport(node.name)
      .on(/^sh -s$/, (command, { options }) => {
        const onDisk = JSON.parse(readFileSync(paths.state, 'utf8')) as GridState;
        owedDuring[node.name] = Object.fromEntries(Object.entries(onDisk.hosts).map(([h, r]) => [h, r.pendingHandlers]));
        order.push(node.name);
        if (node.name === leader) leader = 'n2';
        return local.exec(command, { stdin: options.stdin });
      })
      .on(ASK_AGENT, () => ({ code: 0, stdout: agentAnswer(JSON.stringify({ role: node.name === leader ? 'leader' : 'member', regionRole: node.name === leader ? 'leader' : 'inactive', term: 1, superPeer: leader, regionPeer: node.name === leader ? node.name : null, members: [], version: AGENT_VERSION })) }));
    const upgrade = new CommandResource({ name: 'upgrade', command: 'true', notify: ['restart'] });
    return {
      session: { node, transport, facts: { ...facts(), agentVersion: AGENT_VERSION } },
      resources: new Map([[upgrade.id, upgrade]]),
      handlers: [{ name: 'restart', command: 'true' }],
      managedUnits: new Set<string>(),
      kernelEntries: {},
      plan: { host: node.name, address: node.address, playbooks: ['upgrade'], changes: [upgrade.diff('')!], notes: [], handlers: ['restart'] },
    };
  });
  const ctx = new RunContext({ topologyFile: join(dir, 't.yaml'), concurrency: 10, acceptNewHostKeys: false, progress: () => undefined, failFast: false, emit: () => undefined, rolling: true });
  ctx.setGrid(g, paths);
  // As the lock-state phase does, before the run first reads the state.
  ctx.lock = await StateLock.acquire(paths.lock, 'apply');
  try {
    ctx.planned = planned;
    ctx.plan = { format: PLAN_FORMAT, createdAt: '', gridopsVersion: '', topology: { file: 't.yaml', grid: 'g', sourceHash: '' }, playbooks: ['upgrade'], adHocPlaybooks: true, hosts: planned.map((p) => p.plan) };
    await applyInBatches.run(ctx);
  } finally {
    await ctx.lock.release();
  }
  expect(order).toEqual(['n2', 'n3', 'n1']);
  expect(ctx.outcomes.map((o) => o.status)).toEqual(['applied', 'applied', 'applied']);
  expect(owedDuring).toEqual({
    n2: { n1: undefined, n2: ['restart'], n3: undefined },
    n3: { n1: undefined, n2: undefined, n3: ['restart'] },
    n1: { n1: ['restart'], n2: undefined, n3: undefined },
  });
  // One write per batch, and the record at the run's end counts on from the last.
  const onDisk = JSON.parse(readFileSync(paths.state, 'utf8')) as GridState;
  expect(onDisk.serial).toBe(1 + 3);
  expect(ctx.stateSerialWrittenAhead).toBe(4);
  expect(await ctx.recordedStateStillStands()).toBe(true);
}, 30_000); // each gated batch waits GATE_STABLE_MS of stable agreement
