import { assertChangedEveryHost, assertNoChange } from '../../bench/lib/apply-changed-every-host.js';
import { formatApplySummary } from '../../src/formatters/apply-summary.js';
import type { ApplyResult } from '../../src/phases/apply-outcome.js';

/** As apply prints it: the plan and the event lines come before the summary. `applied`: each host's changes (0: unchanged). */
const summary = (applied: number[]) => {
  const result: ApplyResult = { grid: 'bench', counts: { create: 0, update: 0, delete: 0, run: 0, hostsWithChanges: 0, hostsWithErrors: 0 }, hosts: applied.map((n, i) => ({ host: `node-${i + 1}`, status: n ? 'applied' : 'unchanged', applied: n })), unreachable: [], ms: 1234 };
  return `Plan: 3 to change on node-1\nnode-1: change file /etc/gridops-bench-motd\n${formatApplySummary(result)}\n`;
};

/** The check after a timed first run or drift repair: read from the summary that run printed anyway. */
describe('assertChangedEveryHost', () => {
  it('passes when every host of the run was changed by all 3 tasks', () => {
    expect(() => assertChangedEveryHost(summary([3, 3, 3]), 3, 3, 'first run')).not.toThrow();
    expect(() => assertChangedEveryHost(summary([3]), 1, 3, 'first run')).not.toThrow();
  });

  it('fails when some host had nothing to do (its reset did not happen), naming the run', () => {
    expect(() => assertChangedEveryHost(summary([3, 0, 3]), 3, 3, 'drift repair at 3 hosts')).toThrow('drift repair at 3 hosts changed 2 of 3 hosts (1 unchanged): it did not measure what it is labelled');
  });

  it('fails when a host was changed by fewer than the 3 tasks (a file left from before)', () => {
    expect(() => assertChangedEveryHost(summary([3, 2, 3]), 3, 3, 'the fresh first run at 3 hosts')).toThrow('the fresh first run at 3 hosts made 8 changes on 3 hosts, not 3 on each (9): it did not measure what it is labelled');
  });

  it('fails when the output has no summary line', () => {
    expect(() => assertChangedEveryHost('nothing\n', 3, 3, 'first run')).toThrow('first run printed no "Apply: ..." summary');
  });
});

/** The check after a timed no-change apply: it must have found every host in sync. */
describe('assertNoChange', () => {
  it('passes when every host was unchanged', () => {
    expect(() => assertNoChange(summary([0, 0, 0]), 3, 'no-change apply')).not.toThrow();
  });

  it('fails when it changed a host, or reported fewer hosts in sync than it ran on', () => {
    expect(() => assertNoChange(summary([0, 1, 0]), 3, 'the no-change apply (fresh) at 3 hosts')).toThrow('the no-change apply (fresh) at 3 hosts made 1 change on 1 host (2 of 3 unchanged): it did not measure what it is labelled');
    expect(() => assertNoChange(summary([0, 0]), 3, 'no-change apply')).toThrow('made 0 changes on 0 hosts (2 of 3 unchanged)');
  });

  it('fails when the output has no summary line', () => {
    expect(() => assertNoChange('', 3, 'no-change apply')).toThrow('no-change apply printed no "Apply: ..." summary');
  });
});
