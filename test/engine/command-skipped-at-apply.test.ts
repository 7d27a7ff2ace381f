import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { applyPlan } from '../../src/engine/applier.js';
import type { ApplyEvent } from '../../src/engine/gate.js';
import type { PlannedHost } from '../../src/engine/planner.js';
import { CommandResource } from '../../src/resources/command.js';
import { FileResource } from '../../src/resources/file.js';
import type { Resource } from '../../src/resources/resource.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { quote } from '../../src/transport/quote.js';
import { facts, node } from '../resources/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'gridops-command-skipped-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const local = new LocalTransport('local');

/**
 * A host whose plan is: write a file that is also the command's `creates` path, then the command
 * (planned: the path did not exist yet), which notifies "restart". The batch really runs in a local shell.
 */
function plannedHost(options: { fileNotifies?: boolean; owed?: boolean; failAfter?: boolean } = {}) {
  const root = mkdtempSync(join(dir, 'n1-'));
  const log = join(root, 'log');
  const made = join(root, 'made');
  const transport = new RecordingTransport('n1').on(/^sh -s$/, (command, { options: o }) => local.exec(command, { stdin: o.stdin }));
  const file = new FileResource({ path: made, content: 'made\n', ...(options.fileNotifies ? { notify: ['restart'] } : {}) });
  const command = new CommandResource({ name: 'init', command: `echo init >> ${quote(log)}`, creates: made, notify: ['restart'] });
  const after = new CommandResource({ name: 'after', command: options.failAfter ? 'exit 3' : `echo after >> ${quote(log)}` });
  const resources = new Map<string, Resource>([
    [file.id, file],
    [command.id, command],
    [after.id, after],
  ]);
  const planned: PlannedHost = {
    session: { node: node('n1'), transport, facts: facts() },
    resources,
    handlers: [{ name: 'restart', command: `echo restart >> ${quote(log)}` }],
    managedUnits: new Set(),
    kernelEntries: {},
    plan: { host: 'n1', address: '10.0.0.1', playbooks: ['t'], changes: [file.diff('absent\n')!, command.diff('')!, after.diff('')!], notes: [], handlers: ['restart'], ...(options.owed ? { pendingHandlers: ['restart'] } : {}) },
  };
  return { planned, log, made, file: file.id };
}

const logOf = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '');

describe('a command whose guard holds by the time it runs is skipped, as Ansible skips the task', () => {
  it('does not notify its handlers, and says it was skipped, not changed', async () => {
    const { planned, log, made, file } = plannedHost();
    const events: ApplyEvent[] = [];
    const [outcome] = await applyPlan([planned], { concurrency: 1, failFast: false, emit: (e) => events.push(e) });
    expect(logOf(log)).toBe('after\n');
    expect(outcome).toEqual({ host: 'n1', status: 'applied', applied: 2, started: [file, 'command after'], skipped: [{ id: 'command init', reason: `${made} exists` }] });
    expect(events.filter((e) => e.type === 'change-done').map((e) => (e as { id: string }).id)).toEqual([file, 'command after']);
    expect(events).toContainEqual(expect.objectContaining({ type: 'change-skipped', host: 'n1', id: 'command init', reason: `${made} exists` }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'change-skipped', host: 'n1', id: 'handler restart' }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'host-done', host: 'n1', applied: 2 }));
  });

  it('a handler another change that ran notifies still runs, once', async () => {
    const { planned, log, made } = plannedHost({ fileNotifies: true });
    const [outcome] = await applyPlan([planned], { concurrency: 1, failFast: false, emit: () => undefined });
    expect(logOf(log)).toBe('after\nrestart\n');
    expect(outcome).toMatchObject({ status: 'applied', applied: 2, skipped: [{ id: 'command init', reason: `${made} exists` }] });
  });

  it('a handler a failed run left owed still runs', async () => {
    const { planned, log } = plannedHost({ owed: true });
    await applyPlan([planned], { concurrency: 1, failFast: false, emit: () => undefined });
    expect(logOf(log)).toBe('after\nrestart\n');
  });

  it('a batch that fails after the skipped command owes no handler for it', async () => {
    const { planned, log } = plannedHost({ failAfter: true });
    const [outcome] = await applyPlan([planned], { concurrency: 1, failFast: false, emit: () => undefined });
    expect(logOf(log)).toBe('');
    expect(outcome).toMatchObject({ status: 'failed', applied: 1, failure: { step: 'command after' } });
    expect(outcome!.pendingHandlers).toBeUndefined();
  });

  it('a host whose only change was skipped and that ran no handler is unchanged', async () => {
    const { planned, log, made } = plannedHost();
    planned.plan.changes = planned.plan.changes.slice(1, 2);
    // Made after the plan and before the batch: the guard holds when the command is to run.
    writeFileSync(made, 'made\n');
    const [outcome] = await applyPlan([planned], { concurrency: 1, failFast: false, emit: () => undefined });
    expect(outcome).toEqual({ host: 'n1', status: 'unchanged', applied: 0, started: [], skipped: [{ id: 'command init', reason: `${made} exists` }] });
    expect(logOf(log)).toBe('');
  });

  it('an `unless` that passes by the time the command runs skips it too, and says so', async () => {
    const { planned, log } = plannedHost();
    const unless = new CommandResource({ name: 'init', command: `echo init >> ${quote(log)}`, unless: `[ -e ${quote(join(dirname(log), 'made'))} ]`, notify: ['restart'] });
    planned.resources.set(unless.id, unless);
    const events: ApplyEvent[] = [];
    const [outcome] = await applyPlan([planned], { concurrency: 1, failFast: false, emit: (e) => events.push(e) });
    expect(logOf(log)).toBe('after\n');
    expect(outcome!.skipped).toEqual([{ id: 'command init', reason: 'its `unless` check passed' }]);
    expect(events).toContainEqual(expect.objectContaining({ type: 'change-skipped', id: 'handler restart', reason: 'each change that notified it was skipped' }));
  });
});
