import { ConfirmationRefusedError, PlanningError } from '../../src/errors/index.js';
import { confirm } from '../../src/phases/confirm.js';
import type { RunContext } from '../../src/phases/run-context.js';
import type { HostPlan } from '../../src/plan/plan.js';

const failing = (host: string): HostPlan => ({ host, address: '10.0.0.1', playbooks: [], changes: [], notes: [], handlers: [], error: { kind: 'planning', message: 'no module support' } });
const run = (hosts: HostPlan[]) => confirm.run({ plan: { hosts }, options: {} } as unknown as RunContext);

describe('a planning error stops the run before any change', () => {
  it('names the first host and counts the others as a person says it', async () => {
    await expect(run([failing('a'), failing('b')])).rejects.toThrow(new PlanningError('a: no module support (and 1 more host: b); nothing was changed'));
    await expect(run([failing('a'), failing('b'), failing('c')])).rejects.toThrow('a: no module support (and 2 more hosts: b, c); nothing was changed');
  });

  it("carries every host's problem, so that --json, which prints no plan above, has them all in `problems`; its hint points there", async () => {
    const withHint: HostPlan = { ...failing('b'), error: { kind: 'planning', message: 'two resources manage file:/x', hint: 'remove one of them' } };
    const problems = [
      { host: 'a', message: 'no module support' },
      { host: 'b', message: 'two resources manage file:/x', hint: 'remove one of them' },
    ];
    const err = (await run([failing('a'), withHint]).catch((e: unknown) => e)) as PlanningError;
    expect(err.hint).toBe('fix the problems listed above and run again');
    const json = err.toJSON();
    expect(json).toMatchObject({ code: 'PLANNING', hint: 'fix the problem of each host of `problems` (each with its own hint), then run again', problems });
    // Not `result`: that is what a run did (apply's hosts with their status), which a planning stop did not get to.
    expect(json).not.toHaveProperty('result');
    // The first host's own hint is the terminal's; JSON still points at every host's.
    const firstHinted = (await run([withHint, failing('a')]).catch((e: unknown) => e)) as PlanningError;
    expect(firstHinted.hint).toBe('remove one of them');
    expect(firstHinted.toJSON()).toMatchObject({ hint: 'fix the problem of each host of `problems` (each with its own hint), then run again', problems: [problems[1], problems[0]] });
  });
});

describe('an answer other than "yes"', () => {
  const changing: HostPlan = { host: 'a', address: '10.0.0.1', playbooks: [], changes: [{ kind: 'command', id: 'x', action: 'run', command: 'true', summary: 'run x', fields: [] }], notes: [], handlers: [] } as unknown as HostPlan;
  const refuse = (command?: 'apply' | 'reset') => confirm.run({ plan: { hosts: [changing] }, options: { confirm: async () => false, ...(command ? { command } : {}) } } as unknown as RunContext);

  it('names the command that was not confirmed: reset says reset, not apply', async () => {
    await expect(refuse('reset')).rejects.toThrow(new ConfirmationRefusedError('reset not confirmed; nothing was changed'));
    await expect(refuse()).rejects.toThrow('apply not confirmed; nothing was changed');
  });
});
