import { spawnSync } from 'node:child_process';

/**
 * Ctrl-C while apply's batches run on a terminal, where the live host lines (listr2) are drawn.
 * gridops' own handler decides what happens (no new host or batch; the hosts being changed
 * finish, then the state records what was done), and what it says reaches the terminal then.
 * listr2 installs a SIGINT handler of its own unless told not to, which exited 127 at once: the
 * state unwritten, the lock gone, batches still running on the hosts. And while it draws, it holds
 * back whatever else is written to stdout and stderr until the list ends: the line of the first
 * Ctrl-C came only once the batches were over, and that of the second, which exits at once, never.
 */
const root = new URL('../../', import.meta.url).pathname;

/**
 * Runs the built apply runner in a process of its own (real signals), its stdout taken for a
 * terminal so that apply draws the live lines, with one host whose batch runs; `during` is the
 * body of an async function run while it does (`change` is that host's change).
 */
function applyOnTerminal(during: string) {
  const script = `
    import { writeSync } from 'node:fs';
    process.stdout.isTTY = true;
    process.stdout.columns = 100;
    process.stdout.getWindowSize = () => [100, 40];
    const { runApplyLike } = await import('${root}dist/apply-runner.js');
    const command = { jsonEnabled: () => false, isVerbose: () => false, useColor: () => false, say: () => undefined };
    const flags = { concurrency: 1, 'accept-new-host-keys': false, 'ask-become-pass': false, yes: true };
    const change = { id: 'file /etc/x', kind: 'file', action: 'create', summary: 'create /etc/x', fields: [] };
    const host = { host: 'n1', address: '10.0.0.1', playbooks: ['node-base'], changes: [change], notes: [], handlers: [] };
    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    await runApplyLike(command, 'apply', 'grid.yaml', flags, {}, async (options, onPhase) => {
      options.onPlan({ hosts: [host] });
      onPhase('apply in batches');
      options.emit({ type: 'change-start', host: 'n1', id: change.id, summary: change.summary });
      // Once the lines are drawn, as when a person sees them and presses Ctrl-C.
      await sleep(300);
      ${during}
    }).catch((err) => process.stderr.write('run ended: ' + err.message + '\\n'));
  `;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
}

describe('the live host lines on a terminal, at Ctrl-C', () => {
  it('leave the interrupt to gridops: the run goes on to its end instead of exiting 127', () => {
    const r = applyOnTerminal(`
      process.kill(process.pid, 'SIGINT');
      await sleep(500);
      // The host's batch finishes after the interrupt, as gridops promised.
      options.emit({ type: 'change-done', host: 'n1', id: change.id, ms: 500 });
      options.emit({ type: 'host-done', host: 'n1', applied: 1, ms: 500 });
      throw new Error('the run ended as gridops decided');
    `);
    expect(r.stderr).toContain('interrupted: no new host or batch will start');
    // Not 127 (listr2's exit), and only after the run ended.
    expect({ status: r.status, ended: r.stderr.includes('run ended: the run ended as gridops decided') }).toEqual({ status: 0, ended: true });
  });

  it('the first Ctrl-C is said at once, and the hosts still finishing are then reported line by line', () => {
    const r = applyOnTerminal(`
      process.kill(process.pid, 'SIGINT');
      await sleep(200);
      // Straight to the file descriptor, past anything that holds stderr back: what the terminal had shown by now.
      writeSync(2, 'MARK 200 ms after the interrupt\\n');
      options.emit({ type: 'change-done', host: 'n1', id: change.id, ms: 500 });
      options.emit({ type: 'host-done', host: 'n1', applied: 1, ms: 500 });
      throw new Error('the run ended as gridops decided');
    `);
    expect(r.status).toBe(0);
    const notice = r.stderr.indexOf('interrupted: no new host or batch will start');
    expect(notice).toBeGreaterThanOrEqual(0);
    expect(notice).toBeLessThan(r.stderr.indexOf('MARK 200 ms after the interrupt'));
    // The live lines stopped at the interrupt; what n1 did after it is a line of its own.
    expect(r.stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').split('\n')).toContain('n1: ✓ file /etc/x');
  });

  it('the second Ctrl-C quits (130) and says which hosts may still be finishing', () => {
    const r = applyOnTerminal(`
      process.kill(process.pid, 'SIGINT');
      await sleep(200);
      process.kill(process.pid, 'SIGINT');
      await sleep(2000);
    `);
    expect(r.status).toBe(130);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(
      'interrupted again: quitting now; the changes already sent to 1 host (n1) are not stopped and may still be finishing their batch, and the state does not record them; the lock is released now, so give those hosts a moment to finish (check them) before running gridops again, which then reads them afresh and converges',
    );
  });
});
