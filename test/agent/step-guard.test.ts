import { jsonLogger } from '../../src/agent/runtime/logger.js';
import { Metrics } from '../../src/agent/runtime/metrics.js';
import { FailuresInARow, guardStep, MAX_FAILED_TICKS_IN_A_ROW } from '../../src/agent/runtime/step-guard.js';

/**
 * The daemon runs each tick, each received message and each send through guardStep (daemon.ts): a
 * throw there had no handler and ended the process, so a peer that could make one step throw (a
 * registry entry a sync could not encode) stopped every new super peer in turn. AgentDaemon itself
 * needs its sockets, a key and a state file; what it relies on is tested here, on a ticker as it runs.
 */
describe('guardStep', () => {
  test('a throwing step is logged at error level with its message type and counted; the ticker runs on', async () => {
    const lines: string[] = [];
    const log = jsonLogger('ra-01', 'info', (line) => lines.push(line));
    const metrics = new Metrics();
    metrics.counter('gridagent_step_errors_total', 'test');
    let ticks = 0;
    await new Promise<void>((resolve) => {
      const ticker = setInterval(() => {
        guardStep({ log, metrics }, { step: 'tick' }, () => {
          ticks++;
          if (ticks === 2) throw new RangeError('Maximum call stack size exceeded');
          if (ticks === 4) {
            clearInterval(ticker);
            resolve();
          }
        });
      }, 1);
    });
    expect(ticks).toBe(4);
    expect(guardStep({ log, metrics }, { step: 'receive', type: 'sync', tier: 'region', from: 'rb-01' }, () => undefined)).toBe(true);
    expect(guardStep({ log, metrics }, { step: 'receive', type: 'sync', tier: 'region', from: 'rb-01' }, () => { throw new TypeError("Cannot read properties of null (reading 'subgrid')"); })).toBe(false);
    expect(metrics.get('gridagent_step_errors_total', { step: 'tick' })).toBe(1);
    expect(metrics.get('gridagent_step_errors_total', { step: 'receive', type: 'sync' })).toBe(1);
    const errors = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry['level'] === 'error');
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ msg: 'step failed', step: 'tick', error: 'RangeError: Maximum call stack size exceeded' });
    expect(errors[1]).toMatchObject({ msg: 'step failed', step: 'receive', type: 'sync', tier: 'region', from: 'rb-01', error: "TypeError: Cannot read properties of null (reading 'subgrid')" });
    expect(String(errors[1]!['stack'])).toContain('step-guard.test.ts');
  });

  test('ticks failing in a row reach the limit only in a row: one tick that completes starts the count again', () => {
    const failures = new FailuresInARow(3);
    expect([false, false, true, false, false].map((ok) => failures.record(ok))).toEqual([false, false, false, false, false]);
    expect(failures.record(false)).toBe(true);
    expect(failures.record(false)).toBe(true);
    expect(failures.record(true)).toBe(false);
    expect(MAX_FAILED_TICKS_IN_A_ROW).toBe(50);
  });
});
