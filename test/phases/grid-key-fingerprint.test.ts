import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { HostOutcome } from '../../src/engine/applier.js';
import type { PlannedHost } from '../../src/engine/planner.js';
import { PlanningError } from '../../src/errors/index.js';
import { checkGridKeyWholeGrid } from '../../src/phases/check-grid-key-whole-grid.js';
import { planChanges } from '../../src/phases/plan-changes.js';
import { recordState } from '../../src/phases/record-state.js';
import { RunContext } from '../../src/phases/run-context.js';
import type { Change } from '../../src/plan/change.js';
import { hasChanges } from '../../src/plan/plan.js';
import { renderPlan } from '../../src/plan/render.js';
import { loadPlaybook } from '../../src/playbooks/load.js';
import { gridKeyFingerprint } from '../../src/secrets/grid-key-fingerprint.js';
import { statePaths } from '../../src/state/state.js';
import { allNodes } from '../../src/topology/model.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { facts, gridOf } from '../resources/fixtures.js';

/** n1 to n3 ran the agent with the key F1 deployed; n4 is new. */
const grid = gridOf(`regions: [{ name: r1, subgrids: [{ name: s1, nodes: [${[1, 2, 3, 4].map((i) => `{ name: n${i}, address: 10.0.0.${i} }`).join(', ')}] }] }]\n`);
const oldKey = Buffer.from(`${'ab'.repeat(32)}\n`);
const newKey = Buffer.from(`${'cd'.repeat(32)}\n`);
const F1 = gridKeyFingerprint(oldKey);
const F2 = gridKeyFingerprint(newKey);

const content = { name: 'content', before: '(sensitive)', after: '(sensitive)' };
const keyFile = (action: 'create' | 'update'): Change => ({ kind: 'file', id: 'file /etc/gridagent/grid.key', action, summary: `${action} /etc/gridagent/grid.key`, path: '/etc/gridagent/grid.key', fields: [content], contentSha256: 'hmac-sha256:x', sensitive: true, secret: 'grid-key' }) as unknown as Change;

const ran = (name: string) => ({ [name]: { topologyHash: 'h', playbooks: ['node-base', 'qos', 'agent'], gridopsVersion: '0', agentVersion: '0.1.0', appliedAt: '2026-12-01T00:00:00Z', changesApplied: 1, lastOutcome: 'applied' } });

describe('the fingerprint of the grid key', () => {
  it('is the first 16 bytes of SHA-256 over a domain-separation prefix and the key file, in hex: not the key, nor a plain hash of it', () => {
    const expected = createHash('sha256').update('gridops grid-key fingerprint v1\0').update(oldKey).digest().subarray(0, 16).toString('hex');
    expect(F1).toBe(expected);
    expect(F1).toMatch(/^[0-9a-f]{32}$/);
    expect(F1).not.toBe(createHash('sha256').update(oldKey).digest('hex').slice(0, 32));
    expect(oldKey.toString()).not.toContain(F1);
    expect(F2).not.toBe(F1);
  });
});

describe('a grid key that differs from the one the last apply deployed', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-keyfp-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const agent = () => ['node-base', 'qos', 'agent'].map((p) => loadPlaybook(p));

  /** The state as the last apply left it (hosts n1..n3 ran the agent), `extra` at the grid level. */
  function writeStateFile(extra: Record<string, unknown>): string {
    const file = statePaths(join(dir, 'g.yaml'), grid.name).state;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ format: 'gridops-state/v1', grid: grid.name, serial: 3, hosts: { ...ran('n1'), ...ran('n2'), ...ran('n3') }, ...extra }));
    return file;
  }

  /** A run of `nodes` (all with --limit unset) holding `key`, each host planned with `changes[host]`. */
  function runOf(nodes: string[], key: Buffer, changes: Record<string, Change[]> = {}, limit?: string[]): RunContext {
    const ctx = new RunContext({ topologyFile: join(dir, 'g.yaml'), concurrency: 1, acceptNewHostKeys: false, progress: () => undefined, failFast: false, rolling: false, ...(limit ? { limit } : {}) });
    ctx.setGrid(grid, statePaths(join(dir, 'g.yaml'), grid.name));
    const run = allNodes(grid).filter((n) => nodes.includes(n.name));
    ctx.nodes = run;
    ctx.workflow = { byNode: new Map(run.map((n) => [n.name, agent()])), refs: ['node-base', 'qos', 'agent'], adHoc: false };
    ctx.secrets = { gridKey: key };
    const planned: PlannedHost[] = run.map((node) => ({
      session: { node, transport: new RecordingTransport(node.name), facts: facts() },
      resources: new Map(),
      handlers: [],
      managedUnits: new Set<string>(),
      kernelEntries: {},
      plan: { host: node.name, address: node.address, playbooks: ['node-base', 'qos', 'agent'], changes: changes[node.name] ?? [], notes: [], handlers: [] },
    }));
    ctx.readings = planned.map((p) => ({ plan: p.plan, planned: p }));
    return ctx;
  }

  it('made by an earlier plan (no key replaced on a host planned, none created by this run): apply --limit of a new node is refused, naming the nodes left out and both fingerprints', async () => {
    writeStateFile({ gridKeyFingerprint: F1 });
    const ctx = runOf(['n4'], newKey, { n4: [keyFile('create')] }, ['n4']);
    await planChanges.run(ctx);
    expect(ctx.createdGridKey).toBeUndefined();
    const run = checkGridKeyWholeGrid.run(ctx);
    await expect(run).rejects.toThrow(PlanningError);
    await expect(run).rejects.toThrow(`differs from the one the last apply deployed (fingerprint ${F1} → ${F2})`);
    await expect(run).rejects.toThrow('but leaves out n1, n2 and n3 (not selected by --limit)');
    await expect(run).rejects.toMatchObject({ hint: expect.stringContaining('a plain `gridops apply` of the whole grid') });
  });

  it('is one line of the plan, and gridKeyChange in plan --json; no change by itself', async () => {
    writeStateFile({ gridKeyFingerprint: F1 });
    const ctx = runOf(['n1', 'n2', 'n3', 'n4'], newKey);
    await planChanges.run(ctx);
    expect(JSON.parse(JSON.stringify(ctx.plan)).gridKeyChange).toEqual({ deployed: F1, current: F2 });
    expect(renderPlan(ctx.plan).split('\n').filter((l) => l.startsWith('Grid key:'))).toEqual([
      `Grid key: differs from the one the last apply deployed (fingerprint ${F1} → ${F2}): the apply restarts every agent at once on the new key, and is refused with --limit, --site or --rolling, or with a node unreachable.`,
    ]);
    expect(hasChanges(ctx.plan)).toBe(false);
  });

  it('a full apply that gives the key to every node records its fingerprint, in its one write; the next plan has no such line', async () => {
    const file = writeStateFile({ gridKeyFingerprint: F1 });
    const all = ['n1', 'n2', 'n3', 'n4'];
    const apply = runOf(all, newKey, { n1: [keyFile('update')], n2: [keyFile('update')], n3: [keyFile('update')], n4: [keyFile('create')] });
    await planChanges.run(apply);
    await expect(checkGridKeyWholeGrid.run(apply)).resolves.toBeUndefined();
    apply.outcomes = all.map((host): HostOutcome => ({ host, status: 'applied', applied: 1 }));
    await recordState.run(apply);
    const state = JSON.parse(readFileSync(file, 'utf8'));
    expect(state.gridKeyFingerprint).toBe(F2);
    expect(state.serial).toBe(4);
    const next = runOf(all, newKey);
    await planChanges.run(next);
    expect(next.plan.gridKeyChange).toBeUndefined();
    expect(renderPlan(next.plan)).not.toContain('Grid key:');
  });

  it('a record of a node no longer in the topology (its decommission did not reach it) does not keep the old fingerprint after a full apply', async () => {
    const file = writeStateFile({ gridKeyFingerprint: F1 });
    const written = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...written, hosts: { ...written.hosts, ...ran('gone-07') } }));
    const all = ['n1', 'n2', 'n3', 'n4'];
    const apply = runOf(all, newKey, { n1: [keyFile('update')], n2: [keyFile('update')], n3: [keyFile('update')], n4: [keyFile('create')] });
    await planChanges.run(apply);
    apply.outcomes = all.map((host): HostOutcome => ({ host, status: 'applied', applied: 1 }));
    await recordState.run(apply);
    expect(JSON.parse(readFileSync(file, 'utf8')).gridKeyFingerprint).toBe(F2);
  });

  it('a run that leaves a running agent without the key (its host failed, or not in the run) keeps the recorded fingerprint; a no-change apply of the whole grid records it in the write it makes anyway', async () => {
    const file = writeStateFile({ gridKeyFingerprint: F1 });
    const all = ['n1', 'n2', 'n3', 'n4'];
    const failed = runOf(all, newKey);
    await planChanges.run(failed);
    failed.outcomes = all.map((host): HostOutcome => ({ host, status: host === 'n3' ? 'failed' : 'applied', applied: 1 }));
    await recordState.run(failed);
    expect(JSON.parse(readFileSync(file, 'utf8')).gridKeyFingerprint).toBe(F1);
    const unchanged = runOf(all, newKey);
    await planChanges.run(unchanged);
    await recordState.run(unchanged);
    const state = JSON.parse(readFileSync(file, 'utf8'));
    expect(state.gridKeyFingerprint).toBe(F2);
    expect(state.serial).toBe(5);
  });

  it('the first apply of a grid records the fingerprint once every agent has the key, with --limit too; a state where no agent runs any more (reset) forgets it', async () => {
    const file = writeStateFile({ gridKeyFingerprint: F1 });
    writeFileSync(file, JSON.stringify({ format: 'gridops-state/v1', grid: grid.name, serial: 3, hosts: {} }));
    const first = runOf(['n1'], newKey, { n1: [keyFile('create')] }, ['n1']);
    await planChanges.run(first);
    first.outcomes = [{ host: 'n1', status: 'applied', applied: 1 }];
    await recordState.run(first);
    expect(JSON.parse(readFileSync(file, 'utf8')).gridKeyFingerprint).toBe(F2);
    const reset = runOf(['n1'], newKey);
    reset.workflow = { byNode: new Map([['n1', [loadPlaybook('reset')]]]), refs: ['reset'], adHoc: false };
    reset.secrets = {};
    reset.removing = new Set(['n1']);
    reset.outcomes = [{ host: 'n1', status: 'applied', applied: 1 }];
    await recordState.run(reset);
    const state = JSON.parse(readFileSync(file, 'utf8'));
    expect(state.hosts).toEqual({});
    expect(state).not.toHaveProperty('gridKeyFingerprint');
  });

  it('an older state, without a fingerprint, is unknown: no line, no refusal from it; the first full apply records one', async () => {
    const file = writeStateFile({});
    const limited = runOf(['n4'], newKey, { n4: [keyFile('create')] }, ['n4']);
    await planChanges.run(limited);
    expect(limited.plan.gridKeyChange).toBeUndefined();
    expect(renderPlan(limited.plan)).not.toContain('Grid key:');
    await expect(checkGridKeyWholeGrid.run(limited)).resolves.toBeUndefined();
    limited.outcomes = [{ host: 'n4', status: 'applied', applied: 1 }];
    await recordState.run(limited);
    expect(JSON.parse(readFileSync(file, 'utf8')).gridKeyFingerprint).toBeUndefined();
    const full = runOf(['n1', 'n2', 'n3', 'n4'], newKey);
    await planChanges.run(full);
    await recordState.run(full);
    expect(JSON.parse(readFileSync(file, 'utf8')).gridKeyFingerprint).toBe(F2);
  });

  it('the same key as recorded, or a grid where no agent runs any more, is no change of key', async () => {
    writeStateFile({ gridKeyFingerprint: F2 });
    const same = runOf(['n4'], newKey, { n4: [keyFile('create')] }, ['n4']);
    await planChanges.run(same);
    expect(same.plan.gridKeyChange).toBeUndefined();
    await expect(checkGridKeyWholeGrid.run(same)).resolves.toBeUndefined();
    const file = statePaths(join(dir, 'g.yaml'), grid.name).state;
    writeFileSync(file, JSON.stringify({ format: 'gridops-state/v1', grid: grid.name, serial: 3, hosts: {}, gridKeyFingerprint: F1 }));
    const none = runOf(['n4'], newKey, { n4: [keyFile('create')] }, ['n4']);
    await planChanges.run(none);
    expect(none.plan.gridKeyChange).toBeUndefined();
  });
});
