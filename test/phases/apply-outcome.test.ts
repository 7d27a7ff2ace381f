import { interruptedMessage } from '../../src/phases/apply-outcome.js';

describe('after Ctrl-C, apply says what happened', () => {
  it('when every host had finished, it says so (nothing half-done)', () => {
    expect(interruptedMessage([{ host: 'a', status: 'applied', applied: 2 }, { host: 'b', status: 'unchanged', applied: 0 }])).toBe('interrupted after every host had finished: 1 host(s) applied; nothing was left half-done');
  });

  it('names the hosts never started as untouched, and counts failures', () => {
    expect(
      interruptedMessage([
        { host: 'a', status: 'applied', applied: 2 },
        { host: 'b', status: 'failed', applied: 0 },
        { host: 'c', status: 'skipped', applied: 0 },
        { host: 'd', status: 'skipped', applied: 0 },
      ]),
    ).toBe('interrupted: 1 host(s) applied, 1 failed; 2 host(s) not started, untouched');
  });
});
