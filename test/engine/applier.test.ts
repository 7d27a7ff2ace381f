import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPlan, handlersBatchMayRun } from '../../src/engine/applier.js';
import type { ApplyEvent } from '../../src/engine/gate.js';
import type { PlannedHost } from '../../src/engine/planner.js';
import { CommandResource } from '../../src/resources/command.js';
import { FileResource } from '../../src/resources/file.js';
import type { Resource } from '../../src/resources/resource.js';
import type { StepRecorder } from '../../src/resources/step-recorder.js';
import type { CommandChange } from '../../src/plan/change.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { quote } from '../../src/transport/quote.js';
import { facts, node } from '../resources/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'gridops-applier-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const local = new LocalTransport('local');

/**
 * A host whose plan is: write a file (notifying "reload"), then run a command that may fail.
 * The batch script really runs, in a local shell, against a temp directory; the recording
 * transport in front of it keeps the transcript.
 */
function plannedHost(name: string, options: { failCommand?: boolean } = {}) {
  const root = mkdtempSync(join(dir, `${name}-`));
  // The small grid has n1 and n2; a third host is n1's node under another name.
  const log = join(root, 'log');
  const transport = new RecordingTransport(name).on(/^sh -s$/, (command, { options: o }) => local.exec(command, { stdin: o.stdin }));
  const file = new FileResource({ path: join(root, 'x.conf'), content: "x'$(touch pwned)\n", notify: ['reload'] });
  const work = options.failCommand ? 'echo disk full >&2; exit 3' : `echo work >> ${quote(log)}`;
  const command = new CommandResource({ name: 'work', command: work, notify: ['reload'] });
  const resources = new Map<string, Resource>([
    [file.id, file],
    [command.id, command],
  ]);
  const planned: PlannedHost = {
    session: { node: { ...node(name === 'n2' ? 'n2' : 'n1'), name }, transport, facts: facts() },
    resources,
    handlers: [{ name: 'reload', command: `echo reload >> ${quote(log)}` }],
    managedUnits: new Set(),
    kernelEntries: {},
    plan: { host: name, address: '10.0.0.1', playbooks: ['t'], changes: [file.diff('absent\n')!, command.diff('')!], notes: [], handlers: ['reload'] },
  };
  return { planned, transport, root, log };
}

describe('applyPlan', () => {
  it("runs a host's changes in order in one session, and a handler notified twice once", async () => {
    const { planned, transport, root, log } = plannedHost('n1');
    const events: ApplyEvent[] = [];
    const [outcome] = await applyPlan([planned], { concurrency: 5, failFast: false, emit: (e) => events.push(e) });
    expect(outcome).toEqual({ host: 'n1', status: 'applied', applied: 2, started: [`file ${root}/x.conf`, 'command work'] });
    expect(transport.commands()).toEqual(['sh -s']);
    expect(readFileSync(join(root, 'x.conf'), 'utf8')).toBe("x'$(touch pwned)\n");
    expect(readFileSync(log, 'utf8')).toBe('work\nreload\n');
    expect(events.filter((e) => e.type === 'change-done').map((e) => (e as { id: string }).id)).toEqual([`file ${root}/x.conf`, 'command work', 'handler reload']);
  });

  it('a failing host stops at its failing step with the remote stderr, and the others go on', async () => {
    const bad = plannedHost('n1', { failCommand: true });
    const good = plannedHost('n2');
    const outcomes = await applyPlan([bad.planned, good.planned], { concurrency: 1, failFast: false, emit: () => undefined });
    // Each thing said once: the step is the command itself, the error only how it ended.
    expect(outcomes[0]).toMatchObject({ host: 'n1', status: 'failed', applied: 1, failure: { step: 'command work', error: 'exit 3', stderr: 'disk full\n' } });
    // The failing change counts as started: it may have left part of its work (the state's sandbox marker needs that).
    expect(outcomes[0]!.started).toEqual([`file ${bad.root}/x.conf`, 'command work']);
    expect(() => readFileSync(bad.log)).toThrow();
    expect(outcomes[1]).toMatchObject({ host: 'n2', status: 'applied', applied: 2 });
  });

  it('a failed batch owes the handlers of the changes it completed, and the next one runs them with no change left', async () => {
    const bad = plannedHost('n1', { failCommand: true });
    const [failed] = await applyPlan([bad.planned], { concurrency: 1, failFast: false, emit: () => undefined });
    // The file is written (it notifies reload); the command failed before the handlers' turn.
    expect(failed).toMatchObject({ status: 'failed', applied: 1, pendingHandlers: ['reload'] });
    expect(() => readFileSync(bad.log)).toThrow();
    // What the next plan holds once the file is in sync and the command no longer planned: reload, owed.
    const owed: PlannedHost = { ...bad.planned, plan: { ...bad.planned.plan, changes: [], handlers: ['reload'], pendingHandlers: ['reload'] } };
    const [outcome] = await applyPlan([owed], { concurrency: 1, failFast: false, emit: () => undefined });
    expect(outcome).toEqual({ host: 'n1', status: 'applied', applied: 0, started: [] });
    expect(readFileSync(bad.log, 'utf8')).toBe('reload\n');
  });

  it('runs an owed handler even when the change that notifies it again is refused (no --replace-sandbox)', async () => {
    const { planned, log } = plannedHost('n1');
    const [file, command] = planned.plan.changes;
    planned.plan.changes = [{ ...file!, needsRestart: 'restarts the sandbox VM' }, { ...command!, notify: [] }];
    planned.plan.pendingHandlers = ['reload'];
    const [outcome] = await applyPlan([planned], { concurrency: 1, failFast: false, emit: () => undefined });
    expect(outcome).toMatchObject({ status: 'applied', applied: 1, refused: [{ id: file!.id }] });
    expect(outcome!.pendingHandlers).toBeUndefined();
    expect(readFileSync(log, 'utf8')).toBe('work\nreload\n');
  });

  it('the handlers a batch may run, which the state owes ahead of it: those of the changes it makes and those owed, not one only a refused change notifies', () => {
    const { planned } = plannedHost('n1');
    expect(handlersBatchMayRun(planned, false)).toEqual(['reload']);
    const [file, command] = planned.plan.changes;
    planned.plan.changes = [{ ...file!, needsRestart: 'restarts the sandbox VM' }, { ...command!, notify: [] }];
    expect(handlersBatchMayRun(planned, false)).toEqual([]);
    expect(handlersBatchMayRun(planned, true)).toEqual(['reload']);
    planned.plan.pendingHandlers = ['reload'];
    expect(handlersBatchMayRun(planned, false)).toEqual(['reload']);
    // A host with nothing to do runs no batch.
    planned.plan = { ...planned.plan, changes: [], handlers: [], pendingHandlers: undefined };
    expect(handlersBatchMayRun(planned, false)).toEqual([]);
  });

  it('a connection lost once the batch was sent owes every handler the batch would have run', async () => {
    const { planned, transport } = plannedHost('n1');
    planned.plan.handlers = ['reload', 'restart'];
    planned.plan.pendingHandlers = ['restart'];
    planned.handlers.push({ name: 'restart', command: 'true' });
    transport.on(/^sh -s$/, async () => {
      throw new Error('connection reset');
    });
    const [outcome] = await applyPlan([planned], { concurrency: 1, failFast: false, emit: () => undefined });
    // Which changes completed is unknown: an extra reload is safe, a missed one is not.
    expect(outcome).toMatchObject({ status: 'failed', failure: { step: 'connection' }, pendingHandlers: ['reload', 'restart'] });
  });

  it('a handler that fails stays owed, with the ones after it', async () => {
    const { planned, log } = plannedHost('n1');
    planned.handlers = [{ name: 'reload', command: 'exit 4' }];
    const [outcome] = await applyPlan([planned], { concurrency: 1, failFast: false, emit: () => undefined });
    expect(outcome).toMatchObject({ status: 'failed', applied: 2, failure: { step: 'handler reload', error: 'exit 4' }, pendingHandlers: ['reload'] });
    expect(readFileSync(log, 'utf8')).toBe('work\n');
  });

  it('a change of several steps names the failing one after the change', async () => {
    const transport = new RecordingTransport('n1').on(/^sh -s$/, (command, { options: o }) => local.exec(command, { stdin: o.stdin }));
    const unit: CommandChange = { kind: 'command', id: 'systemd-unit x.service', action: 'update', command: '', summary: 'update x.service', fields: [] };
    const resource = {
      id: unit.id,
      apply: async (_change: unknown, recorder: StepRecorder) => {
        await recorder.run('true', 'daemon-reload');
        await recorder.run('echo no such unit >&2; exit 5', 'restart x.service');
      },
    } as unknown as Resource;
    const planned: PlannedHost = { session: { node: node('n1'), transport, facts: facts() }, resources: new Map([[unit.id, resource]]), handlers: [], managedUnits: new Set(), kernelEntries: {}, plan: { host: 'n1', address: '10.0.0.1', playbooks: ['t'], changes: [unit], notes: [], handlers: [] } };
    const events: ApplyEvent[] = [];
    const [outcome] = await applyPlan([planned], { concurrency: 1, failFast: false, emit: (e) => events.push(e) });
    expect(outcome!.failure).toEqual({ step: 'systemd-unit x.service, step restart x.service', error: 'exit 5', stderr: 'no such unit\n' });
    expect(events).toContainEqual(expect.objectContaining({ type: 'change-failed', id: 'systemd-unit x.service', step: 'restart x.service', error: 'exit 5' }));
  });

  it('--fail-fast stops starting hosts after the first failure', async () => {
    const bad = plannedHost('n1', { failCommand: true });
    const good = plannedHost('n2');
    const outcomes = await applyPlan([bad.planned, good.planned], { concurrency: 1, failFast: true, emit: () => undefined });
    expect(outcomes.map((o) => o.status)).toEqual(['failed', 'skipped']);
    expect(good.transport.transcript()).toEqual([]);
  });

  it('closes the connection of a host the run is done with as soon as its changes end, failed or not, while others still apply', async () => {
    const bad = plannedHost('n1', { failCommand: true });
    const good = plannedHost('n2');
    const kept = plannedHost('n3');
    const closedWhen: string[] = [];
    for (const h of [bad, good, kept]) {
      const close = h.transport.close.bind(h.transport);
      h.transport.close = async () => {
        closedWhen.push(`${h.planned.session.node.name} closed; batches started on n2: ${good.transport.commands().length}, on n3: ${kept.transport.commands().length}`);
        return close();
      };
    }
    const outcomes = await applyPlan([bad.planned, good.planned, kept.planned], { concurrency: 1, failFast: false, emit: () => undefined, doneWith: (p) => p !== kept.planned });
    expect(outcomes.map((o) => o.status)).toEqual(['failed', 'applied', 'applied']);
    // One host at a time: each close comes right after its own batch, before the next host's starts; n3 is kept.
    expect(closedWhen).toEqual(['n1 closed; batches started on n2: 0, on n3: 0', 'n2 closed; batches started on n2: 1, on n3: 0']);
    expect(kept.transport.closed).toBe(false);
  });

  it('after Ctrl-C no new host starts, and nothing is written', async () => {
    const { planned, transport } = plannedHost('n1');
    const controller = new AbortController();
    controller.abort();
    const [outcome] = await applyPlan([planned], { concurrency: 1, failFast: false, signal: controller.signal, emit: () => undefined });
    expect(outcome!.status).toBe('skipped');
    expect(transport.transcript()).toEqual([]);
  });
});
