import { applyPlan } from '../../src/engine/applier.js';
import type { ApplyEvent } from '../../src/engine/gate.js';
import type { PlannedHost } from '../../src/engine/planner.js';
import type { CommandChange } from '../../src/plan/change.js';
import type { Resource } from '../../src/resources/resource.js';
import type { StepRecorder } from '../../src/resources/step-recorder.js';
import { CommandTimeoutError } from '../../src/transport/errors.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import type { Transport } from '../../src/transport/transport.js';
import { HeldLocalTransport } from '../support/held-local-transport.js';
import { facts, node } from '../resources/fixtures.js';

/**
 * A batch that runs past its bound is killed: the changes that said they were done are done, and
 * the one that hung may have left part of its work. The outcome says so, as for a step that
 * exited non-zero, and names the change that timed out, not a connection.
 */

/** Three changes; the third hangs (its second step). Each step is bounded by 500 ms, so the batch by 2 s. */
function plannedHost(transport: Transport): PlannedHost {
  const change = (id: string): CommandChange => ({ kind: 'command', id: `command ${id}`, action: 'run', command: id, summary: `run ${id}`, fields: [] });
  const changes = [change('c0'), change('c1'), change('c2')];
  const resource = (c: CommandChange, steps: Array<[string, string]>) =>
    ({
      id: c.id,
      apply: async (_change: unknown, recorder: StepRecorder) => {
        for (const [command, label] of steps) await recorder.run(command, label, { timeoutMs: 500 });
      },
    }) as unknown as Resource;
  const resources = new Map<string, Resource>([
    [changes[0]!.id, resource(changes[0]!, [['true', 'c0']])],
    [changes[1]!.id, resource(changes[1]!, [['true', 'c1']])],
    [changes[2]!.id, resource(changes[2]!, [['echo defining >&2', 'define pool'], ['exec sleep 30', 'start pool']])],
  ]);
  return { session: { node: node('n1'), transport, facts: facts() }, resources, handlers: [], managedUnits: new Set(), kernelEntries: {}, plan: { host: 'n1', address: '10.0.0.1', playbooks: ['t'], changes, notes: [], handlers: [] } };
}

describe('a batch that times out', () => {
  it('in a held shell: applied counts the changes done, started the one that hung too, and the failure names it and the timeout', async () => {
    const transport = new HeldLocalTransport('n1');
    const events: ApplyEvent[] = [];
    const [outcome] = await applyPlan([plannedHost(transport)], { concurrency: 1, failFast: false, emit: (e) => events.push(e) });
    expect(outcome).toMatchObject({ host: 'n1', status: 'failed', applied: 2, started: ['command c0', 'command c1', 'command c2'] });
    expect(outcome!.failure).toMatchObject({ step: 'command c2, step start pool', error: 'timed out after 2 s and was killed', stderr: 'defining\n' });
    expect(events.filter((e) => e.type === 'change-done').map((e) => (e as { id: string }).id)).toEqual(['command c0', 'command c1']);
    expect(events).toContainEqual(expect.objectContaining({ type: 'change-failed', id: 'command c2', step: 'start pool', error: 'timed out after 2 s and was killed' }));
    await transport.close();
  }, 20_000);

  it('in a session of its own (exec): the same', async () => {
    const transport = new RecordingTransport('n1').on(/^sh -s$/, (_command, { options }) => {
      // The script's own marker, as the host's shell would print it: changes 0 and 1 done, 2 started, then silence.
      const marker = /(@@gridops-step-[0-9a-f]+@@)/.exec(String(options.stdin))![1]!;
      options.onStdout!(`${marker} start 0\n${marker} done 0\n${marker} start 1\n${marker} done 1\n${marker} start 2\n`);
      throw new CommandTimeoutError('n1', 'sh -s', options.timeoutMs!, `${marker} change 2\n${marker} step 0\ndefining\n${marker} step 1\n`);
    });
    const [outcome] = await applyPlan([plannedHost(transport)], { concurrency: 1, failFast: false, emit: () => undefined });
    expect(outcome).toMatchObject({ host: 'n1', status: 'failed', applied: 2, started: ['command c0', 'command c1', 'command c2'] });
    expect(outcome!.failure).toMatchObject({ step: 'command c2, step start pool', error: 'timed out after 2 s and was killed', stderr: 'defining\n' });
  });
});
