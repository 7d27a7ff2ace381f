import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { applyInBatches } from '../../src/phases/apply-in-batches.js';
import { applyOutcome } from '../../src/phases/apply-outcome.js';
import { recordState } from '../../src/phases/record-state.js';
import { RunContext } from '../../src/phases/run-context.js';
import { ApplyFailedError } from '../../src/errors/index.js';
import type { ApplyEvent } from '../../src/engine/gate.js';
import type { PlannedHost } from '../../src/engine/planner.js';
import { PLAN_FORMAT } from '../../src/plan/plan.js';
import { CommandResource } from '../../src/resources/command.js';
import { statePaths, type GridState, type HostState } from '../../src/state/state.js';
import { allNodes } from '../../src/topology/model.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { facts, gridOf } from '../resources/fixtures.js';

const local = new LocalTransport('local');

/**
 * A plain apply that replaces node n1 with n2 in sub-grid s1: n1 was dropped from the topology and
 * is decommissioned in the last batch, n2 is new. README: a dropped node is removed "last, after the
 * rest of the grid is in place". Where n2's first apply fails, removing n1 all the same would leave
 * s1 with no agent running (its sandbox VM destroyed with the users' work in it), and no rerun could
 * bring n1 back: it is held back, and stays in the state, so the run after the fix removes it.
 */
let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-removals-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const lastRecord: HostState = { topologyHash: 'h', playbooks: ['agent'], gridopsVersion: '0', agentVersion: '0.1.0', appliedAt: 'then', changesApplied: 1, lastOutcome: 'applied' };

/** n1 (to decommission: its changes are the reset's) and n2 (new), n2's one change exiting with `n2Exit`. */
function replacing(n2Exit: number, options: { failFast?: boolean } = {}) {
  const kept = gridOf('regions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n2, address: 10.0.0.2 }] }] }]\n');
  const dropped = allNodes(gridOf('regions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1 }] }] }]\n'))[0]!;
  const paths = statePaths(join(dir, 't.yaml'), kept.name);
  mkdirSync(dirname(paths.state), { recursive: true });
  writeFileSync(paths.state, JSON.stringify({ format: 'gridops-state/v1', grid: kept.name, serial: 1, hosts: { n1: lastRecord } }));
  const ran: string[] = [];
  const planned: PlannedHost[] = [dropped, allNodes(kept)[0]!].map((node) => {
    const transport = new RecordingTransport(node.name).on(/^sh -s$/, (command, { options: o }) => {
      ran.push(node.name);
      return local.exec(command, { stdin: o.stdin });
    });
    const change = node.name === 'n1' ? new CommandResource({ name: 'leave', command: 'true' }) : new CommandResource({ name: 'first-apply', command: `exit ${n2Exit}` });
    return {
      session: { node, transport, facts: { ...facts(), agentVersion: node.name === 'n1' ? '0.1.0' : null } },
      resources: new Map([[change.id, change]]),
      handlers: [],
      managedUnits: new Set<string>(),
      kernelEntries: {},
      plan: { host: node.name, address: node.address, playbooks: [node.name === 'n1' ? 'reset' : 'agent'], changes: [change.diff('')!], notes: [], handlers: [] },
    };
  });
  const progress: string[] = [];
  const events: ApplyEvent[] = [];
  const ctx = new RunContext({ topologyFile: join(dir, 't.yaml'), concurrency: 10, acceptNewHostKeys: false, progress: (m) => progress.push(m), failFast: false, emit: (e) => events.push(e), ...options });
  ctx.setGrid(kept, paths);
  ctx.workflow = { byNode: new Map(), refs: [], adHoc: false };
  ctx.removing.add('n1');
  ctx.recordedOnly.add('n1');
  ctx.planned = planned;
  ctx.plan = { format: PLAN_FORMAT, createdAt: '', gridopsVersion: '', topology: { file: 't.yaml', grid: 'g', sourceHash: '' }, playbooks: ['agent'], adHocPlaybooks: false, hosts: planned.map((p) => p.plan) };
  const state = () => JSON.parse(readFileSync(paths.state, 'utf8')) as GridState;
  return { ctx, ran, progress, events, state };
}

/** n2 not reached: out of the run's plan, among its unreachable hosts. */
function n2Unreachable(ctx: RunContext): void {
  const n2 = ctx.planned.find((p) => p.session.node.name === 'n2')!;
  ctx.planned = ctx.planned.filter((p) => p !== n2);
  ctx.plan!.hosts = ctx.plan!.hosts.filter((h) => h.host !== 'n2');
  ctx.unreachable = [{ node: n2.session.node, error: new Error('connect ETIMEDOUT') }];
}

describe('apply in batches: the decommissions after a host failed (plain apply, no --fail-fast)', () => {
  it('are held back: the reset never runs on n1, its outcome is skipped, it stays in the state, and the run says what to do next', async () => {
    const { ctx, ran, progress, events, state } = replacing(3);
    await applyInBatches.run(ctx);
    expect(ran).toEqual(['n2']);
    expect(ctx.outcomes.map((o) => [o.host, o.status])).toEqual([
      ['n1', 'skipped'],
      ['n2', 'failed'],
    ]);
    expect(progress).toContain('n1 not decommissioned: n2 failed, and a dropped node is removed only once the rest of the grid is in place (it stays in the state); fix n2, then run apply again to remove n1');
    expect(events).toContainEqual({ type: 'host-skipped', host: 'n1', reason: 'not decommissioned: n2 failed' });
    ctx.unreachable = [];
    expect(() => applyOutcome(ctx)).toThrow(ApplyFailedError);
    await recordState.run(ctx);
    expect(state().hosts.n1).toMatchObject({ ...lastRecord, lastOutcome: 'skipped', changesApplied: 0 });
  });

  it('are held back too when a node of the topology was not reached (n2 unreachable: its first apply never ran)', async () => {
    const { ctx, ran, progress } = replacing(0);
    n2Unreachable(ctx);
    await applyInBatches.run(ctx);
    expect(ran).toEqual([]);
    expect(ctx.outcomes.map((o) => [o.host, o.status])).toEqual([['n1', 'skipped']]);
    expect(progress).toContain('n1 not decommissioned: n2 unreachable, and a dropped node is removed only once the rest of the grid is in place (it stays in the state); fix n2, then run apply again to remove n1');
  });

  it('an unreachable node that runs an agent (the state says so: down, not missing) holds back no removal', async () => {
    const { ctx, ran, state } = replacing(0);
    n2Unreachable(ctx);
    const recorded = state();
    recorded.hosts.n2 = { ...lastRecord };
    writeFileSync(ctx.paths.state, JSON.stringify(recorded));
    await applyInBatches.run(ctx);
    expect(ran).toEqual(['n1']);
    expect(ctx.outcomes.map((o) => [o.host, o.status])).toEqual([['n1', 'applied']]);
  });

  it('an unreachable node that is itself being removed holds back no other removal', async () => {
    const { ctx, ran } = replacing(0);
    const gone = { ...ctx.planned[0]!.session.node, name: 'n0', address: '10.0.0.9' };
    ctx.removing.add('n0');
    ctx.unreachable = [{ node: gone, error: new Error('connect ETIMEDOUT') }];
    await applyInBatches.run(ctx);
    expect(ran).toEqual(['n2', 'n1']);
  });

  it('go ahead once every other host applied: n1 is removed last, and forgotten', async () => {
    const { ctx, ran, state } = replacing(0);
    await applyInBatches.run(ctx);
    expect(ran).toEqual(['n2', 'n1']);
    expect(ctx.outcomes.map((o) => [o.host, o.status])).toEqual([
      ['n1', 'applied'],
      ['n2', 'applied'],
    ]);
    await recordState.run(ctx);
    expect(state().hosts.n1).toBeUndefined();
  });

  it('with --fail-fast, the run stops at the failed batch as before', async () => {
    const { ctx, ran } = replacing(3, { failFast: true });
    await applyInBatches.run(ctx);
    expect(ran).toEqual(['n2']);
    expect(ctx.outcomes.map((o) => [o.host, o.status])).toEqual([
      ['n1', 'skipped'],
      ['n2', 'failed'],
    ]);
    expect(ctx.stopped).toMatchObject({ reason: 'failed', batch: 1, batches: 2 });
  });
});
