import { applyPlan } from '../../src/engine/applier.js';
import type { ApplyEvent } from '../../src/engine/gate.js';
import type { PlannedHost } from '../../src/engine/planner.js';
import { CommandResource } from '../../src/resources/command.js';
import { FileResource } from '../../src/resources/file.js';
import type { Resource } from '../../src/resources/resource.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { facts, node } from '../resources/fixtures.js';

/** A host whose plan is: write a file (notifying "reload"), then run a command that may fail. */
function plannedHost(name: string, options: { failCommand?: boolean } = {}): { planned: PlannedHost; transport: RecordingTransport } {
  const transport = new RecordingTransport(name).on(/^do-work$/, { code: options.failCommand ? 3 : 0, stderr: options.failCommand ? 'disk full\n' : '' }).on(/^reload-it$/, {}).on(/^t=\$\(mktemp /, {});
  const file = new FileResource({ path: '/etc/x.conf', content: 'x\n', notify: ['reload'] });
  const command = new CommandResource({ name: 'work', command: 'do-work', notify: ['reload'] });
  const resources = new Map<string, Resource>([
    [file.id, file],
    [command.id, command],
  ]);
  const changes = [file.diff('absent\n')!, command.diff('')!];
  return {
    transport,
    planned: {
      session: { node: node(name === 'n2' ? 'n2' : 'n1'), transport, facts: facts() },
      resources,
      handlers: [{ name: 'reload', command: 'reload-it' }],
      plan: { host: name, address: '10.0.0.1', changes, notes: [], handlers: ['reload'] },
    },
  };
}

describe('applyPlan', () => {
  it('applies changes in order through the gate, and runs a handler notified twice only once', async () => {
    const { planned, transport } = plannedHost('n1');
    const events: ApplyEvent[] = [];
    const [outcome] = await applyPlan([planned], { concurrency: 5, failFast: false, emit: (e) => events.push(e) });
    expect(outcome).toEqual({ host: 'n1', status: 'applied', applied: 2 });
    const [write, ...rest] = transport.transcript();
    expect(write).toMatch(/^exec t=\$\(mktemp \/etc\/\.x\.conf\.gridops\.XXXXXX\) && .*chmod 0644 .*mv -f "\$t" \/etc\/x\.conf/);
    expect(transport.calls.find((c) => c.kind === 'exec')).toMatchObject({ stdin: 'x\n' });
    expect(rest).toEqual(['exec do-work', 'exec reload-it']);
    expect(events.filter((e) => e.type === 'change-done').map((e) => (e as { id: string }).id)).toEqual(['file /etc/x.conf', 'command work', 'handler reload']);
  });

  it('a failing host stops at its failing step with the remote stderr, and the others go on', async () => {
    const bad = plannedHost('n1', { failCommand: true });
    const good = plannedHost('n2');
    const outcomes = await applyPlan([bad.planned, good.planned], { concurrency: 1, failFast: false, emit: () => undefined });
    expect(outcomes[0]).toMatchObject({ host: 'n1', status: 'failed', applied: 1, failure: { step: 'command work', stderr: 'disk full\n' } });
    expect(bad.transport.commands()).not.toContain('reload-it');
    expect(outcomes[1]).toMatchObject({ host: 'n2', status: 'applied', applied: 2 });
  });

  it('--fail-fast stops starting hosts after the first failure', async () => {
    const bad = plannedHost('n1', { failCommand: true });
    const good = plannedHost('n2');
    const outcomes = await applyPlan([bad.planned, good.planned], { concurrency: 1, failFast: true, emit: () => undefined });
    expect(outcomes.map((o) => o.status)).toEqual(['failed', 'skipped']);
    expect(good.transport.transcript()).toEqual([]);
  });

  it('after Ctrl-C no new step starts, and nothing is written', async () => {
    const { planned, transport } = plannedHost('n1');
    const controller = new AbortController();
    controller.abort();
    const [outcome] = await applyPlan([planned], { concurrency: 1, failFast: false, signal: controller.signal, emit: () => undefined });
    expect(outcome!.status).toBe('skipped');
    expect(transport.transcript()).toEqual([]);
  });
});
