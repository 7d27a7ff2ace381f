import { spawnSync } from 'node:child_process';

/**
 * A run's abort signal is shared by every host in flight (a connect's retry delay, an exec each
 * listen to it), so 50 unreachable hosts retrying at once put 50 listeners on it: that is the
 * design, bounded by --concurrency, and must not print Node's MaxListenersExceededWarning in the
 * middle of the run's report. Node writes that warning from its own internals, out of reach of a
 * test's `process` under jest, so the built modules run in a process of their own here.
 */
const root = new URL('../../', import.meta.url).pathname;

function stderrOf(script: string): string {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  expect(r.status).toBe(0);
  return r.stderr;
}

describe('signals shared by the hosts in flight', () => {
  it("the run's Ctrl-C signal takes a listener per host without a warning", () => {
    const stderr = stderrOf(`
      import { interruptOnSignals } from '${root}dist/cli-flags.js';
      import { abortableDelay } from '${root}dist/transport/retry.js';
      const interrupt = interruptOnSignals(() => undefined);
      await Promise.all(Array.from({ length: 50 }, () => abortableDelay(5, interrupt.signal)));
      interrupt.dispose();
    `);
    expect(stderr).not.toContain('MaxListenersExceededWarning');
  });

  it("fanOut's own signal takes a listener per task without a warning", () => {
    const stderr = stderrOf(`
      import { fanOut } from '${root}dist/transport/fan-out.js';
      import { abortableDelay } from '${root}dist/transport/retry.js';
      const hosts = Array.from({ length: 50 }, (_, i) => 'h' + i);
      const out = await fanOut(hosts, (h) => h, (_h, signal) => abortableDelay(5, signal), { concurrency: 50 });
      if (out.some((o) => o.status !== 'ok')) throw new Error('a task failed');
    `);
    expect(stderr).not.toContain('MaxListenersExceededWarning');
  });
});
