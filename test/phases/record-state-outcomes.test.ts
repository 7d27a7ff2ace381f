import { BUILTIN_PLAYBOOKS_DIR } from '../../src/topology/playbook-reference.js';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { HostOutcome } from '../../src/engine/applier.js';
import type { PlannedHost } from '../../src/engine/planner.js';
import { loadPlaybook } from '../../src/playbooks/load.js';
import { recordState } from '../../src/phases/record-state.js';
import { removeRetiredHypervisor, sandboxMadeRecord } from '../../src/phases/retired-hypervisor.js';
import type { Change } from '../../src/plan/change.js';
import { RunContext } from '../../src/phases/run-context.js';
import { statePaths } from '../../src/state/state.js';
import { allNodes } from '../../src/topology/model.js';
import { gridOf } from '../resources/fixtures.js';
import { AGENT_VERSION } from '../../src/agent/version.js';
import { GRIDOPS_VERSION } from '../../src/version.js';

/** A host whose sandbox change was refused (no --replace-sandbox) is not at this topology: status must not call it in sync. */
describe('record the state: a refused change', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-record-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps the host's last topology hash, and records the others' as this one", async () => {
    const grid = gridOf('regions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1 }, { name: n2, address: 10.0.0.2 }] }] }]\n');
    const ctx = new RunContext({ topologyFile: join(dir, 'g.yaml'), concurrency: 1, acceptNewHostKeys: false, progress: () => undefined });
    ctx.setGrid(grid, statePaths(join(dir, 'g.yaml'), grid.name));
    ctx.workflow = { byNode: new Map(), refs: [], adHoc: false };
    const facts = { agentVersion: null } as unknown as PlannedHost['session']['facts'];
    ctx.planned = allNodes(grid).map((node) => ({ session: { node, facts }, plan: { playbooks: ['node-base', 'hypervisor'], changes: [] }, kernelEntries: {}, handlers: [] }) as unknown as PlannedHost);
    const outcomes: HostOutcome[] = [
      { host: 'n1', status: 'applied', applied: 2, refused: [{ id: 'sandbox-domain gridops-sandbox', reason: 'the VM must restart' }] },
      { host: 'n2', status: 'applied', applied: 2 },
    ];
    ctx.outcomes = outcomes;
    // n1's last full apply was of an earlier topology.
    mkdirSync(dirname(ctx.paths.state), { recursive: true });
    writeFileSync(ctx.paths.state, JSON.stringify({ format: 'gridops-state/v1', grid: grid.name, serial: 1, hosts: { n1: { topologyHash: 'earlier', playbooks: ['node-base', 'hypervisor'], gridopsVersion: '0', agentVersion: null, appliedAt: '2026-12-01T00:00:00Z', changesApplied: 1, lastOutcome: 'applied', lastRunAt: '2026-12-01T00:00:00Z' } } }));
    await recordState.run(ctx);
    const hosts = JSON.parse(readFileSync(ctx.paths.state, 'utf8')).hosts;
    expect(hosts.n1.topologyHash).toBe('earlier');
    expect(hosts.n2.topologyHash).toBe(grid.sourceHash);
    expect(hosts.n1.lastOutcome).toBe('applied');
  });

  it('the sandbox marker: set by a hypervisor run on a node with it enabled, kept by an ad-hoc run of other playbooks, cleared by hypervisor-off', async () => {
    const enabled = gridOf('defaults: { hypervisor: { enabled: true, sandbox: { image: sandbox.img } } }\nregions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1 }] }] }]\n');
    const runWith = async (grid: typeof enabled, playbooks: string[], refused?: Array<{ id: string; reason: string }>) => {
      const ctx = new RunContext({ topologyFile: join(dir, 'g.yaml'), concurrency: 1, acceptNewHostKeys: false, progress: () => undefined });
      ctx.setGrid(grid, statePaths(join(dir, 'g.yaml'), grid.name));
      ctx.workflow = { byNode: new Map(), refs: [], adHoc: false };
      const facts = { agentVersion: null } as unknown as PlannedHost['session']['facts'];
      ctx.planned = allNodes(grid).map((node) => ({ session: { node, facts }, plan: { playbooks, changes: [] }, kernelEntries: {}, handlers: [] }) as unknown as PlannedHost);
      ctx.outcomes = [{ host: 'n1', status: 'applied', applied: 1, ...(refused ? { refused } : {}) }];
      await recordState.run(ctx);
      return JSON.parse(readFileSync(ctx.paths.state, 'utf8')).hosts.n1.sandboxMade;
    };
    const disabled = gridOf('regions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1 }] }] }]\n');
    expect(await runWith(disabled, ['node-base', 'hypervisor'])).toBeUndefined();
    expect(await runWith(enabled, ['node-base', 'hypervisor', 'qos', 'agent'])).toEqual({ network: 'grid-net' });
    expect(await runWith(disabled, ['qos'])).toEqual({ network: 'grid-net' });
    // Its changes refused (no --replace-sandbox): the sandbox is still there, and the next run removes it.
    expect(await runWith(disabled, ['node-base', 'hypervisor-off', 'qos', 'agent'], [{ id: 'absent-libvirt domain gridops-sandbox', reason: 'x' }])).toEqual({ network: 'grid-net' });
    expect(await runWith(disabled, ['node-base', 'hypervisor-off', 'qos', 'agent'])).toBeNull();
  });

  it("the sandbox marker after a `--playbook qos` run that made the sandbox VM's egress limit (its hook and ifb, which hypervisor-off removes)", () => {
    const enabled = allNodes(gridOf('defaults: { hypervisor: { enabled: true, sandbox: { image: sandbox.img } } }\nregions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1 }] }] }]\n'))[0]!;
    const egress = { kind: 'sandbox-egress', id: 'sandbox-egress gridops-sandbox', action: 'create', summary: '', fields: [] } as unknown as Change;
    expect(sandboxMadeRecord({ done: true, ran: ['qos'], started: [egress] }, enabled, undefined)).toEqual({ sandboxMade: { network: 'grid-net' } });
    expect(sandboxMadeRecord({ done: true, ran: ['qos'], started: [] }, enabled, undefined)).toEqual({});
  });

  it('the sandbox marker after a failed first apply: set once a sandbox change ran, so turning the hypervisor off then removes what it left', async () => {
    const enabled = gridOf('defaults: { hypervisor: { enabled: true, sandbox: { network: lab-net, image: sandbox.img } } }\nregions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1 }] }] }]\n');
    const change = (kind: string, id: string) => ({ kind, id, action: 'create', summary: id, fields: [] });
    const changes = [change('package', 'package libvirt-daemon-system'), change('libvirt-network', 'libvirt-network lab-net'), change('libvirt-pool', 'libvirt-pool gridops'), change('sandbox-domain', 'sandbox-domain gridops-sandbox')];
    const failedRun = async (started: string[]) => {
      const ctx = new RunContext({ topologyFile: join(dir, 'g.yaml'), concurrency: 1, acceptNewHostKeys: false, progress: () => undefined });
      ctx.setGrid(enabled, statePaths(join(dir, 'g.yaml'), enabled.name));
      ctx.workflow = { byNode: new Map(), refs: [], adHoc: false };
      const facts = { agentVersion: null } as unknown as PlannedHost['session']['facts'];
      ctx.planned = allNodes(enabled).map((node) => ({ session: { node, facts }, plan: { playbooks: ['node-base', 'hypervisor', 'qos', 'agent'], changes }, kernelEntries: {}, handlers: [] }) as unknown as PlannedHost);
      ctx.outcomes = [{ host: 'n1', status: 'failed', applied: started.length - 1, started, failure: { step: started.at(-1)!, error: 'exit 1' } }];
      await recordState.run(ctx);
      return JSON.parse(readFileSync(ctx.paths.state, 'utf8'));
    };
    // Failed while installing the packages: nothing of the sandbox exists yet.
    expect((await failedRun(['package libvirt-daemon-system'])).hosts.n1.sandboxMade).toBeUndefined();
    // Failed after the network was made (the pool's step failed part-way): the state says so, its playbooks stay [].
    const state = await failedRun(['package libvirt-daemon-system', 'libvirt-network lab-net', 'libvirt-pool gridops']);
    expect(state.hosts.n1.sandboxMade).toEqual({ network: 'lab-net' });
    expect(state.hosts.n1.playbooks).toEqual([]);
    // hypervisor.enabled: false next: hypervisor-off is planned, on the network made.
    const workflow = { byNode: new Map([['n1', ['node-base', 'qos', 'agent'].map((p) => loadPlaybook(p))]]), refs: ['node-base', 'qos', 'agent'] };
    const chosen = removeRetiredHypervisor(workflow, state, new Map(), new Set());
    expect(workflow.byNode.get('n1')!.map((p) => p.ref)).toEqual(['node-base', 'hypervisor-off', 'qos', 'agent']);
    expect(JSON.stringify(chosen.get('n1'))).toContain('{"absent-libvirt":{"network":"lab-net"}}');
  });

  it("the bootstrap electorate: recorded for a host the run worked on (applied, or failed after a change started), then kept, as its create-only file is", async () => {
    const grid = gridOf('regions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1 }, { name: n2, address: 10.0.0.2 }, { name: n3, address: 10.0.0.3 }] }] }]\n');
    const runWith = async (bootstrap: object, outcomes: HostOutcome[]) => {
      const ctx = new RunContext({ topologyFile: join(dir, 'g.yaml'), concurrency: 1, acceptNewHostKeys: false, progress: () => undefined });
      ctx.setGrid(grid, statePaths(join(dir, 'g.yaml'), grid.name));
      ctx.workflow = { byNode: new Map(), refs: [], adHoc: false };
      const facts = { agentVersion: null } as unknown as PlannedHost['session']['facts'];
      ctx.planned = allNodes(grid).map((node) => ({ session: { node, facts }, plan: { playbooks: ['node-base', 'agent'], changes: [] }, kernelEntries: {}, handlers: [], bootstrap }) as unknown as PlannedHost);
      ctx.outcomes = outcomes;
      await recordState.run(ctx);
      return JSON.parse(readFileSync(ctx.paths.state, 'utf8')).hosts;
    };
    const born = { subgrid: ['n1', 'n2', 'n3'], region: ['s1'], peerRegions: [] };
    const failed = (host: string, started: string[]): HostOutcome => ({ host, status: 'failed', applied: 0, started, failure: { step: 'x', error: 'exit 1' } });
    const first = await runWith(born, [{ host: 'n1', status: 'applied', applied: 9 }, failed('n2', ['file /etc/gridagent/bootstrap.json']), failed('n3', [])]);
    expect(first.n1.electorate).toEqual({ subgrid: ['n1', 'n2', 'n3'], region: ['s1'] });
    // It may have written its file before it failed.
    expect(first.n2.electorate).toEqual({ subgrid: ['n1', 'n2', 'n3'], region: ['s1'] });
    // Failed before any change: nothing was written.
    expect(first.n3.electorate).toBeUndefined();
    // A later run that renders another list (or none) leaves what the file holds.
    const later = await runWith({ peerRegions: [] }, ['n1', 'n2', 'n3'].map((host) => ({ host, status: 'applied', applied: 1 }) as HostOutcome));
    expect(later.n1.electorate).toEqual({ subgrid: ['n1', 'n2', 'n3'], region: ['s1'] });
    expect(later.n3.electorate).toBeUndefined();
  });

  it('the sandbox marker across a renamed network: the old one while its removal is refused or failed, the new one once it is gone', async () => {
    const renamedGrid = gridOf('defaults: { hypervisor: { enabled: true, sandbox: { network: new-net, image: sandbox.img } } }\nregions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1 }] }] }]\n');
    const change = (kind: string, id: string) => ({ kind, id, action: 'create', summary: id, fields: [] });
    const changes = [change('command', 'command remove-renamed-grid-network'), change('libvirt-network', 'libvirt-network new-net'), change('sandbox-image', 'sandbox-image x')];
    const runWith = async (outcome: Partial<HostOutcome>, planned = changes) => {
      const ctx = new RunContext({ topologyFile: join(dir, 'g.yaml'), concurrency: 1, acceptNewHostKeys: false, progress: () => undefined });
      ctx.setGrid(renamedGrid, statePaths(join(dir, 'g.yaml'), renamedGrid.name));
      ctx.workflow = { byNode: new Map(), refs: [], adHoc: false };
      ctx.networkRenames = new Map([['n1', { from: 'old-net', to: 'new-net' }]]);
      const facts = { agentVersion: null } as unknown as PlannedHost['session']['facts'];
      ctx.planned = allNodes(renamedGrid).map((node) => ({ session: { node, facts }, plan: { playbooks: ['node-base', 'grid-network-rename', 'hypervisor'], changes: planned }, kernelEntries: {}, handlers: [] }) as unknown as PlannedHost);
      ctx.outcomes = [{ host: 'n1', status: 'applied', applied: 1, ...outcome }];
      await recordState.run(ctx);
      return JSON.parse(readFileSync(ctx.paths.state, 'utf8')).hosts.n1;
    };
    // Without --replace-sandbox: the removal and the new network refused, the image uploaded all the same.
    expect((await runWith({ refused: [{ id: 'command remove-renamed-grid-network', reason: 'x' }, { id: 'libvirt-network new-net', reason: 'x' }], started: ['sandbox-image x'] })).sandboxMade).toEqual({ network: 'old-net' });
    // The removal failed part-way: the old network may still be there.
    expect((await runWith({ status: 'failed', applied: 0, started: ['command remove-renamed-grid-network'], failure: { step: 'command remove-renamed-grid-network', error: 'exit 1' } })).sandboxMade).toEqual({ network: 'old-net' });
    // Removed, then the new network failed: the new one is what is there now.
    expect((await runWith({ status: 'failed', applied: 1, started: ['command remove-renamed-grid-network', 'libvirt-network new-net'], failure: { step: 'libvirt-network new-net', error: 'exit 1' } })).sandboxMade).toEqual({ network: 'new-net' });
    // Done: the new network, and the removal is not part of the workflow the host runs.
    const done = await runWith({ applied: 3, started: changes.map((c) => c.id) });
    expect(done.sandboxMade).toEqual({ network: 'new-net' });
    expect(done.playbooks).toEqual(['node-base', 'hypervisor']);
  });
});

/** One run of the record phase over hosts n1 and n2 (the topology's), with the state holding `before`. */
async function recordRun(dir: string, run: { facts: Record<string, string | null>; playbooks: string[]; outcomes: HostOutcome[]; removing?: string[]; before?: Record<string, unknown> }) {
  const grid = gridOf('regions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1 }, { name: n2, address: 10.0.0.2 }] }] }]\n');
  const ctx = new RunContext({ topologyFile: join(dir, 'g.yaml'), concurrency: 1, acceptNewHostKeys: false, progress: () => undefined });
  ctx.setGrid(grid, statePaths(join(dir, 'g.yaml'), grid.name));
  ctx.workflow = { byNode: new Map(), refs: [], adHoc: false };
  const nodes = [...allNodes(grid), ...(run.removing ?? []).map((name) => ({ ...allNodes(grid)[0]!, name }))];
  ctx.planned = nodes.map((node) => ({ session: { node, facts: { agentVersion: run.facts[node.name] ?? null } }, plan: { playbooks: run.playbooks, changes: [] }, kernelEntries: {}, handlers: [] }) as unknown as PlannedHost);
  for (const name of run.removing ?? []) ctx.removing.add(name);
  ctx.outcomes = run.outcomes;
  if (run.before) {
    mkdirSync(dirname(ctx.paths.state), { recursive: true });
    writeFileSync(ctx.paths.state, JSON.stringify({ format: 'gridops-state/v1', grid: grid.name, serial: 1, hosts: run.before }));
  }
  await recordState.run(ctx);
  return JSON.parse(readFileSync(ctx.paths.state, 'utf8')).hosts;
}

const earlierRecord = { topologyHash: 'earlier', playbooks: ['node-base', 'qos', 'agent'], gridopsVersion: '0', agentVersion: '0.0.9', appliedAt: '2026-12-01T00:00:00Z', changesApplied: 3, lastOutcome: 'applied', lastRunAt: '2026-12-01T00:00:00Z' };

describe('record the state: the agent version (review N1)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-record-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is the version deployed where the agent playbook applied; what the host had where it failed or did not run', async () => {
    // n1: first deploy (no agent before); n2: an upgrade from 0.0.9.
    const hosts = await recordRun(dir, { facts: { n1: null, n2: '0.0.9' }, playbooks: ['node-base', 'qos', 'agent'], outcomes: [{ host: 'n1', status: 'applied', applied: 9 }, { host: 'n2', status: 'applied', applied: 2 }] });
    expect(hosts.n1.agentVersion).toBe(AGENT_VERSION);
    expect(hosts.n2.agentVersion).toBe(AGENT_VERSION);
    // A failed apply did not surely deploy it: the host keeps the version read before (none: not counted as running an agent).
    const failed = await recordRun(dir, { facts: { n1: null, n2: '0.0.9' }, playbooks: ['node-base', 'qos', 'agent'], outcomes: [{ host: 'n1', status: 'failed', applied: 0, failure: { step: 'package nodejs', error: 'exit 100' } }, { host: 'n2', status: 'skipped', applied: 0 }] });
    expect(failed.n1.agentVersion).toBeNull();
    expect(failed.n2.agentVersion).toBe('0.0.9');
    // An ad-hoc run of another playbook leaves the agent as it found it.
    const adHoc = await recordRun(dir, { facts: { n1: null, n2: '0.0.9' }, playbooks: ['qos'], outcomes: [{ host: 'n1', status: 'applied', applied: 1 }, { host: 'n2', status: 'applied', applied: 1 }] });
    expect(adHoc.n1.agentVersion).toBeNull();
    expect(adHoc.n2.agentVersion).toBe('0.0.9');
    // `--playbook ./playbooks/agent.yaml`: the built-in agent playbook named by its path deploys it as well.
    const byPath = await recordRun(dir, { facts: { n1: null, n2: '0.0.9' }, playbooks: [join(BUILTIN_PLAYBOOKS_DIR, 'agent.yaml')], outcomes: [{ host: 'n1', status: 'applied', applied: 1 }, { host: 'n2', status: 'applied', applied: 1 }] });
    expect(byPath.n1.agentVersion).toBe(AGENT_VERSION);
  });
});

describe('record the state: a failed decommission (review N2)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-record-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("records the failed run (outcome, error, time) and keeps the rest of the node's last record; a decommission that worked forgets the node", async () => {
    const outcomes: HostOutcome[] = [
      { host: 'n1', status: 'unchanged', applied: 0 },
      { host: 'n2', status: 'unchanged', applied: 0 },
      { host: 'n3', status: 'failed', applied: 1, failure: { step: 'command stop-gridagent', error: 'exit 1', stderr: 'Failed to stop gridagent.service\n' } },
      { host: 'n4', status: 'applied', applied: 5 },
    ];
    const before = { n3: { ...earlierRecord, lastError: 'an older error' }, n4: earlierRecord };
    const hosts = await recordRun(dir, { facts: { n1: null, n2: null, n3: '0.0.9', n4: '0.0.9' }, playbooks: ['reset'], outcomes, removing: ['n3', 'n4'], before });
    expect(hosts.n4).toBeUndefined();
    expect(hosts.n3).toEqual({ ...earlierRecord, lastOutcome: 'failed', lastRunAt: expect.stringMatching(/^\d{4}-/), changesApplied: 1, lastError: 'command stop-gridagent: exit 1: Failed to stop gridagent.service' });
    expect(hosts.n3.lastRunAt).not.toBe(earlierRecord.lastRunAt);
    // Not started (a rolling apply stopped before its last batch): no error of its own, the older one is not kept.
    const skipped = await recordRun(dir, { facts: { n3: '0.0.9' }, playbooks: ['reset'], outcomes: [{ host: 'n3', status: 'skipped', applied: 0 }], removing: ['n3'], before });
    expect(skipped.n3).toEqual({ ...earlierRecord, lastOutcome: 'skipped', lastRunAt: expect.any(String), changesApplied: 0 });
  });
});

describe('record the state: a host the run skipped', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-record-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gets no record when gridops never applied it (nothing of it to decommission later); one it had is kept with the outcome; a failed first run is recorded', async () => {
    const skipped = (host: string): HostOutcome => ({ host, status: 'skipped', applied: 0 });
    const first = await recordRun(dir, { facts: {}, playbooks: ['node-base'], outcomes: [skipped('n1'), { host: 'n2', status: 'failed', applied: 0, started: [], failure: { step: 'package x', error: 'exit 100' } }] });
    expect(Object.keys(first)).toEqual(['n2']);
    expect(first.n2).toMatchObject({ lastOutcome: 'failed', appliedAt: '', node: { address: '10.0.0.2' } });
    const second = await recordRun(dir, { facts: {}, playbooks: ['node-base'], outcomes: [skipped('n1'), skipped('n2')], before: { n1: earlierRecord } });
    expect(second.n1).toMatchObject({ lastOutcome: 'skipped', appliedAt: earlierRecord.appliedAt, topologyHash: 'earlier' });
    expect(second.n2).toBeUndefined();
  });

  it("keeps the gridops version of the last run that worked on a host the run skipped: a newer gridops that never reached it is not its gridops; a failed run is (its batch may have done changes it could not count)", async () => {
    const before = { n1: { ...earlierRecord, gridopsVersion: '0.0.5' }, n2: { ...earlierRecord, gridopsVersion: '0.0.5' } };
    const outcomes: HostOutcome[] = [
      { host: 'n1', status: 'skipped', applied: 0 },
      // A connection lost mid-batch: failed, none counted, some perhaps done.
      { host: 'n2', status: 'failed', applied: 0, failure: { step: 'connection', error: 'connection lost' } },
    ];
    const hosts = await recordRun(dir, { facts: { n1: '0.0.9', n2: '0.0.9' }, playbooks: ['node-base'], outcomes, before });
    expect(hosts.n1.gridopsVersion).toBe('0.0.5');
    expect(hosts.n2.gridopsVersion).toBe(GRIDOPS_VERSION);
  });
});
