import { assertChangedEveryHost } from '../../bench/lib/apply-changed-every-host.js';
import { formatApplySummary } from '../../src/formatters/apply-summary.js';
import type { ApplyResult } from '../../src/phases/apply-outcome.js';

/** The check after a timed first run or drift repair: read from the summary that run printed anyway. */
describe('assertChangedEveryHost', () => {
  const summary = (statuses: Array<'applied' | 'unchanged'>) => {
    const result: ApplyResult = { grid: 'bench', counts: { create: 0, update: 0, delete: 0, run: 0, hostsWithChanges: 0, hostsWithErrors: 0 }, hosts: statuses.map((status, i) => ({ host: `node-${i + 1}`, status, applied: status === 'applied' ? 3 : 0 })), unreachable: [], ms: 1234 };
    // As apply prints it: the plan and the event lines come before the summary.
    return `Plan: 3 to change on node-1\nnode-1: change file /etc/gridops-bench-motd\n${formatApplySummary(result)}\n`;
  };

  it('passes when every host of the run was changed', () => {
    expect(() => assertChangedEveryHost(summary(['applied', 'applied', 'applied']), 3, 'first run')).not.toThrow();
    expect(() => assertChangedEveryHost(summary(['applied']), 1, 'first run')).not.toThrow();
  });

  it('fails when some host had nothing to do (its reset did not happen), naming the run', () => {
    expect(() => assertChangedEveryHost(summary(['applied', 'unchanged', 'applied']), 3, 'drift repair at 3 hosts')).toThrow('drift repair at 3 hosts changed 2 of 3 hosts (1 unchanged): it did not measure what it is labelled');
  });

  it('fails when the output has no summary line', () => {
    expect(() => assertChangedEveryHost('nothing\n', 3, 'first run')).toThrow('first run printed no "Apply: ..." summary');
  });
});
