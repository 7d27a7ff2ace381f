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
});
