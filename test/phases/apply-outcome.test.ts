import { ConnectionError, type GridopsError } from '../../src/errors/index.js';
import { applyOutcome, failedHostsMessage, interruptedMessage } from '../../src/phases/apply-outcome.js';
import type { RunContext } from '../../src/phases/run-context.js';

describe('after Ctrl-C, apply says what happened', () => {
  it('when every host had finished, it says so (nothing half-done)', () => {
    expect(interruptedMessage([{ host: 'a', status: 'applied', applied: 2 }, { host: 'b', status: 'unchanged', applied: 0 }])).toBe('interrupted after every host had finished: 1 host applied; nothing was left half-done');
  });

  it('names the hosts never started as untouched, and counts failures', () => {
    expect(
      interruptedMessage([
        { host: 'a', status: 'applied', applied: 2 },
        { host: 'b', status: 'failed', applied: 0 },
        { host: 'c', status: 'skipped', applied: 0 },
        { host: 'd', status: 'skipped', applied: 0 },
      ]),
    ).toBe('interrupted: 1 host applied, 1 failed; 2 hosts not started, untouched');
  });

  it('leaves out a count of zero', () => {
    expect(interruptedMessage([{ host: 'b', status: 'failed', applied: 0 }, { host: 'c', status: 'skipped', applied: 0 }])).toBe('interrupted: 1 host failed; 1 host not started, untouched');
    expect(interruptedMessage([{ host: 'c', status: 'skipped', applied: 0 }, { host: 'd', status: 'skipped', applied: 0 }])).toBe('interrupted: no host applied; 2 hosts not started, untouched');
  });
});

describe('the last line of an apply with failed or unreachable hosts', () => {
  it('reads as a person says it: singular or plural, and no count of zero', () => {
    expect(failedHostsMessage(0, 2)).toBe('2 hosts unreachable');
    expect(failedHostsMessage(0, 1)).toBe('1 host unreachable');
    expect(failedHostsMessage(1, 0)).toBe('1 host failed');
    expect(failedHostsMessage(3, 0)).toBe('3 hosts failed');
    expect(failedHostsMessage(1, 2)).toBe('1 host failed and 2 unreachable');
    expect(failedHostsMessage(2, 1)).toBe('2 hosts failed and 1 unreachable');
  });
});

describe('what a failed run says to run again', () => {
  const ended = (command: 'apply' | 'reset' | undefined, change: Partial<RunContext>): GridopsError => {
    const ctx = {
      grid: { name: 'g', rollout: { healthTimeoutMs: 60_000 } },
      plan: { hosts: [] },
      outcomes: [{ host: 'n1', status: 'applied', applied: 1 }],
      unreachable: [],
      recordedOnly: new Set<string>(),
      options: command ? { command } : {},
      elapsed: () => 5,
      ...change,
    } as unknown as RunContext;
    try {
      applyOutcome(ctx);
    } catch (e) {
      return e as GridopsError;
    }
    throw new Error('the run did not fail');
  };
  const n2Down = { unreachable: [{ node: { name: 'n2' }, error: new ConnectionError('n2', 'cannot connect to 10.0.0.2:22') }] } as unknown as Partial<RunContext>;

  it('names the command that ran: apply by default, reset for a reset', () => {
    expect(ended(undefined, n2Down).hint).toBe('fix the hosts listed above, then run apply again; it only does what is still needed');
    expect(ended('reset', n2Down).hint).toBe('fix the hosts listed above, then run reset again; it only does what is still needed');
    expect(ended('reset', { interrupted: true } as Partial<RunContext>).hint).toBe('run reset again; it continues from the real state of each host');
  });

  it('as JSON, points at the hosts its result lists: JSON has no hosts listed above', () => {
    const err = ended(undefined, n2Down);
    const json = err.toJSON();
    expect(json.hint).toBe('fix each host of `result.unreachable` and each of `result.hosts` whose status is "failed", then run apply again; it only does what is still needed');
    expect((json.result as { unreachable: Array<{ host: string }> }).unreachable.map((u) => u.host)).toEqual(['n2']);
    expect(JSON.parse(JSON.stringify(err)).hint).toBe(json.hint);
  });
});

describe('a rolling apply stopped at a failed batch', () => {
  it('says how to repair a failed host whose agent no longer answers: --rolling would refuse to start again', () => {
    const ctx = {
      grid: { name: 'g', rollout: { healthTimeoutMs: 60_000 } },
      plan: { hosts: [] },
      outcomes: [
        { host: 'n2', status: 'failed', applied: 0 },
        { host: 'n1', status: 'skipped', applied: 0 },
      ],
      unreachable: [],
      recordedOnly: new Set<string>(),
      options: { rolling: true, topologyFile: 'my grid.yaml', playbooks: ['agent'], stateDir: '/srv/state' },
      stopped: { batch: 1, batches: 2, reason: 'failed', detail: 'n2 failed' },
      elapsed: () => 5,
    } as unknown as RunContext;
    expect(() => applyOutcome(ctx)).toThrow(
      expect.objectContaining({
        hint: "fix the hosts listed above, then run the same apply again to resume; where the agent of n2 no longer answers, --rolling refuses to start: apply n2 without --rolling first (`gridops apply 'my grid.yaml' --playbook agent --state-dir /srv/state --limit n2`), then run the rolling apply again",
      }),
    );
    // A run that asked for the sudo password: the apply it suggests asks too.
    const asking = { ...ctx, options: { ...ctx.options, becomePrompt: async () => 'pw' } } as unknown as RunContext;
    expect(() => applyOutcome(asking)).toThrow(expect.objectContaining({ hint: expect.stringContaining("(`gridops apply 'my grid.yaml' --playbook agent --state-dir /srv/state --ask-become-pass --limit n2`)") }));
  });
});

describe('a plain apply that replaced the grid key and then failed on some hosts', () => {
  const keyChange = { kind: 'file', id: 'file /etc/gridagent/grid.key', action: 'update', path: '/etc/gridagent/grid.key', fields: [{ name: 'content', before: '(sensitive)', after: '(sensitive)' }], secret: 'grid-key' };
  const ended = (change: Partial<RunContext>): GridopsError => {
    const ctx = {
      grid: { name: 'g', rollout: { healthTimeoutMs: 60_000 } },
      plan: { hosts: ['n1', 'n2', 'n3'].map((host) => ({ host, changes: [keyChange], notes: [], handlers: [] })) },
      outcomes: [
        { host: 'n1', status: 'applied', applied: 1 },
        { host: 'n2', status: 'failed', applied: 0 },
        { host: 'n3', status: 'skipped', applied: 0 },
      ],
      unreachable: [],
      recordedOnly: new Set<string>(),
      options: {},
      elapsed: () => 5,
      ...change,
    } as unknown as RunContext;
    try {
      applyOutcome(ctx);
    } catch (e) {
      return e as GridopsError;
    }
    throw new Error('the run did not fail');
  };
  const leftOnOldKey = '; n2 and n3 may still hold the old grid key, cut off from the nodes on the new one until the same apply runs again';

  it('names the hosts it may have left on the old key, in the one line of the error', () => {
    expect(ended({}).message).toBe(`1 host failed${leftOnOldKey}`);
    expect(ended({ stopped: { batch: 1, batches: 2, reason: 'failed', detail: 'n2 failed' } }).message).toBe(`apply stopped at batch 1 of 2: n2 failed; the hosts of later batches are untouched${leftOnOldKey}`);
    expect(ended({ interrupted: true } as Partial<RunContext>).message).toBe(`interrupted: 1 host applied, 1 failed; 1 host not started, untouched${leftOnOldKey}`);
  });

  it('says nothing of the key when every host that had it to change did', () => {
    const plain = ended({ outcomes: [{ host: 'n1', status: 'applied', applied: 1 }, { host: 'n2', status: 'applied', applied: 1 }, { host: 'n3', status: 'failed', applied: 0 }], plan: { hosts: [{ host: 'n1', changes: [keyChange] }, { host: 'n2', changes: [keyChange] }, { host: 'n3', changes: [] }] } } as unknown as Partial<RunContext>);
    expect(plain.message).toBe('1 host failed');
  });
});
