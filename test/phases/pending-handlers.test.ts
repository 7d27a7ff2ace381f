import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runApply } from '../../src/phases/apply.js';
import { runPlan } from '../../src/phases/plan.js';
import type { ApplyOptions } from '../../src/phases/run-options.js';
import { renderPlan } from '../../src/plan/render.js';
import { countPlan } from '../../src/plan/plan.js';
import { readState, statePaths } from '../../src/state/state.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { owedHandlersNoPlaybookDefines, pendingHandlersAfter } from '../../src/phases/pending-handlers.js';
import type { HostState } from '../../src/state/state.js';
import type { PlannedHost } from '../../src/engine/planner.js';
import { recordState } from '../../src/phases/record-state.js';
import { RunContext } from '../../src/phases/run-context.js';
import { allNodes } from '../../src/topology/model.js';
import { gridOf } from '../resources/fixtures.js';

/**
 * A batch that fails after a change that notifies a handler completed: the handler, which runs only
 * at the end of a batch, did not run, and the next plan finds that change in sync. The state keeps
 * the handler pending, so the next plan runs it (Ansible's lost-notification problem, solved).
 * Real files in a temp directory, read and changed through a local shell.
 */
let dir: string;
let topology: string;
let out: string;

const connect = async (node: { name: string }) => new LocalTransport(node.name);
const options = (extra: Partial<ApplyOptions> = {}): ApplyOptions => ({ topologyFile: topology, playbooks: [join(dir, 'app.yaml')], concurrency: 1, acceptNewHostKeys: false, progress: () => undefined, failFast: false, confirm: async () => true, emit: () => undefined, onPlan: () => undefined, connect, ...extra });
const stateOf = async () => (await readState(statePaths(topology, 'g').state, 'g')).hosts.n1!;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-pending-'));
  out = join(dir, 'out');
  mkdirSync(out);
  topology = join(dir, 'grid.yaml');
  writeFileSync(topology, 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: 10.0.0.1 }\n');
  // Change 0 writes the config (notifying reload); change 1 fails until `allow` exists.
  writeFileSync(
    join(dir, 'app.yaml'),
    `name: app
resources:
  - file: { path: "${join(out, 'app.conf')}", content: "v2\\n", notify: [reload] }
  - command: { name: migrate, run: "test -e ${join(out, 'allow')} && touch ${join(out, 'migrated')}", creates: "${join(out, 'migrated')}" }
handlers:
  - { name: reload, run: "echo reload >> ${join(out, 'reloads')}" }
`,
  );
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('handlers notified by changes of a failed batch', () => {
  it('stay pending in the state, are planned again, run on the next successful apply, and are then gone', async () => {
    await expect(runApply(options())).rejects.toThrow(/1 host failed/);
    expect(readFileSync(join(out, 'app.conf'), 'utf8')).toBe('v2\n');
    expect(existsSync(join(out, 'reloads'))).toBe(false);
    expect((await stateOf()).pendingHandlers).toEqual(['reload']);

    const replan = await runPlan(options());
    const [host] = replan.hosts;
    // The config is in sync now: only the migration is planned, and reload is owed from the failed run.
    expect(host!.changes.map((c) => c.id)).toEqual(['command migrate']);
    expect(host!.handlers).toEqual(['reload']);
    expect(host!.pendingHandlers).toEqual(['reload']);
    expect(renderPlan(replan)).toContain('reload (owed by an interrupted or failed run)');

    // Failing again keeps it owed.
    await expect(runApply(options())).rejects.toThrow(/1 host failed/);
    expect((await stateOf()).pendingHandlers).toEqual(['reload']);

    writeFileSync(join(out, 'allow'), '');
    const result = await runApply(options());
    expect(result.hosts[0]).toMatchObject({ host: 'n1', status: 'applied' });
    expect(readFileSync(join(out, 'reloads'), 'utf8')).toBe('reload\n');
    expect((await stateOf()).pendingHandlers).toBeUndefined();

    const after = await runPlan(options());
    expect(after.hosts[0]).toMatchObject({ changes: [], handlers: [] });
    expect(countPlan(after)).toMatchObject({ create: 0, update: 0, delete: 0, run: 0 });
  });

  it('a pending handler alone is work for the plan and the apply: it runs, and the next plan has nothing to do', async () => {
    await expect(runApply(options())).rejects.toThrow(/1 host failed/);
    // Whatever the migration was for got done by hand: no change is left, but reload still is.
    writeFileSync(join(out, 'migrated'), '');
    const replan = await runPlan(options());
    expect(replan.hosts[0]).toMatchObject({ changes: [], handlers: ['reload'], pendingHandlers: ['reload'] });
    expect(countPlan(replan)).toMatchObject({ run: 1, hostsWithChanges: 1 });
    expect(renderPlan(replan)).not.toContain('No changes.');

    const result = await runApply(options());
    expect(result.hosts[0]).toMatchObject({ host: 'n1', status: 'applied' });
    expect(readFileSync(join(out, 'reloads'), 'utf8')).toBe('reload\n');
    expect((await stateOf()).pendingHandlers).toBeUndefined();
    expect(renderPlan(await runPlan(options()))).toContain('No changes.');
  });
});

describe('an owed handler a change of the next plan notifies again', () => {
  it('stays owed when that change fails, and is counted once', async () => {
    await expect(runApply(options())).rejects.toThrow(/1 host failed/);
    // The migration now notifies reload too, and still fails: reload must not be forgotten.
    writeFileSync(join(dir, 'app.yaml'), readFileSync(join(dir, 'app.yaml'), 'utf8').replace('creates: "', 'notify: [reload], creates: "'));
    const replan = await runPlan(options());
    expect(replan.hosts[0]).toMatchObject({ handlers: ['reload'], pendingHandlers: ['reload'] });
    // The migration is the one run; reload, owed and notified, is not a second.
    expect(countPlan(replan)).toMatchObject({ run: 1 });
    await expect(runApply(options())).rejects.toThrow(/1 host failed/);
    expect((await stateOf()).pendingHandlers).toEqual(['reload']);
  });

  it('runs with the notified ones in the order the playbook defines them', async () => {
    await expect(runApply(options())).rejects.toThrow(/1 host failed/);
    writeFileSync(join(out, 'allow'), '');
    const yaml = readFileSync(join(dir, 'app.yaml'), 'utf8').replace('creates: "', 'notify: [later], creates: "');
    writeFileSync(join(dir, 'app.yaml'), `${yaml}  - { name: later, run: "echo later >> ${join(out, 'reloads')}" }\n`);
    expect((await runPlan(options())).hosts[0]!.handlers).toEqual(['reload', 'later']);
    await runApply(options());
    expect(readFileSync(join(out, 'reloads'), 'utf8')).toBe('reload\nlater\n');
  });
});

describe('what the state keeps owed after a run', () => {
  const owing = { pendingHandlers: ['restart-gridagent'] } as HostState;
  it('a run that took a handler on and applied owes it no more; one whose playbooks do not define it (a --playbook run of others) keeps it', () => {
    expect(pendingHandlersAfter({ host: 'n1', status: 'applied', applied: 0 }, { handlers: ['restart-gridagent'] }, owing)).toEqual({});
    expect(pendingHandlersAfter({ host: 'n1', status: 'applied', applied: 3 }, { handlers: [] }, owing)).toEqual({ pendingHandlers: ['restart-gridagent'] });
    expect(pendingHandlersAfter({ host: 'n1', status: 'unchanged', applied: 0 }, { handlers: [] }, owing)).toEqual({ pendingHandlers: ['restart-gridagent'] });
  });

  it('a failed run owes what its batch left owed, besides what it did not take on; a run that never started owes what it owed', () => {
    expect(pendingHandlersAfter({ host: 'n1', status: 'failed', applied: 1, pendingHandlers: ['reload'] }, { handlers: ['reload'] }, owing)).toEqual({ pendingHandlers: ['reload', 'restart-gridagent'] });
    expect(pendingHandlersAfter({ host: 'n1', status: 'failed', applied: 1, pendingHandlers: ['restart-gridagent'] }, { handlers: ['restart-gridagent'] }, owing)).toEqual({ pendingHandlers: ['restart-gridagent'] });
    expect(pendingHandlersAfter({ host: 'n1', status: 'skipped', applied: 0 }, { handlers: ['restart-gridagent'] }, owing)).toEqual({ pendingHandlers: ['restart-gridagent'] });
    expect(pendingHandlersAfter({ host: 'n1', status: 'failed', applied: 0 }, { handlers: [] }, undefined)).toEqual({});
  });

  it('a run of the whole workflow forgets what no playbook of the host defines, skipped or not', () => {
    const gone = { pendingHandlers: ['gone', 'reload'] } as HostState;
    expect(pendingHandlersAfter({ host: 'n1', status: 'applied', applied: 0 }, { handlers: [] }, gone, ['reload'])).toEqual({ pendingHandlers: ['reload'] });
    expect(pendingHandlersAfter({ host: 'n1', status: 'skipped', applied: 0 }, { handlers: ['reload'] }, gone, ['reload'])).toEqual({ pendingHandlers: ['reload'] });
    // What the run's warning names.
    expect(owedHandlersNoPlaybookDefines(gone, ['reload'])).toEqual(['gone']);
    expect(owedHandlersNoPlaybookDefines(undefined, ['reload'])).toEqual([]);
  });
});

describe('record the state: an owed handler no playbook defines any more', () => {
  /** One record over n1, owing `gone` and `reload`, whose playbooks define `reload` only; what the state keeps and what the run said. */
  async function record(adHoc: boolean) {
    const grid = gridOf('regions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1 }] }] }]\n');
    const said: string[] = [];
    const ctx = new RunContext({ topologyFile: topology, concurrency: 1, acceptNewHostKeys: false, progress: (line) => said.push(line) });
    ctx.setGrid(grid, statePaths(topology, grid.name));
    ctx.workflow = { byNode: new Map(), refs: [], adHoc };
    ctx.planned = allNodes(grid).map((node) => ({ session: { node, facts: { agentVersion: null } }, plan: { playbooks: ['app'], changes: [], handlers: [] }, kernelEntries: {}, handlers: [{ name: 'reload', command: 'true' }] }) as unknown as PlannedHost);
    ctx.outcomes = [{ host: 'n1', status: 'unchanged', applied: 0 }];
    mkdirSync(dirname(ctx.paths.state), { recursive: true });
    const before = { topologyHash: 'x', playbooks: ['app'], gridopsVersion: '0', agentVersion: null, appliedAt: '', changesApplied: 0, lastOutcome: 'failed', lastRunAt: '', pendingHandlers: ['gone', 'reload'] };
    writeFileSync(ctx.paths.state, JSON.stringify({ format: 'gridops-state/v1', grid: grid.name, serial: 1, hosts: { n1: before } }));
    await recordState.run(ctx);
    return { owed: JSON.parse(readFileSync(ctx.paths.state, 'utf8')).hosts.n1.pendingHandlers, said };
  }

  it('is forgotten by a run of the whole workflow, with a warning naming host and handler; an ad hoc run keeps it', async () => {
    const workflow = await record(false);
    expect(workflow.owed).toEqual(['reload']);
    expect(workflow.said).toEqual([expect.stringMatching(/^warning: n1 owed handler "gone".*no playbook.*forgotten/)]);
    const adHoc = await record(true);
    expect(adHoc.owed).toEqual(['gone', 'reload']);
    expect(adHoc.said).toEqual([]);
  });
});
