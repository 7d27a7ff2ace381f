import { spawnSync } from 'node:child_process';
import { interruptNotice, quitNotice } from '../../src/formatters/interrupt-notice.js';
import { APPLY_PHASES } from '../../src/phases/apply.js';

/**
 * The line printed at apply's first Ctrl-C or SIGTERM says what the run will still do: while it
 * plans, nothing has changed; while it applies, no new host or batch starts and the hosts already
 * being changed finish all their changes (the gate refuses hosts not started, a host's running
 * batch is not aborted: engine/gate.ts); and it names the signal that quits at once.
 */
const root = new URL('../../', import.meta.url).pathname;

/** Runs the built apply runner in a process of its own (real signals), through the phases up to `lastPhase`, then sends `signal`. */
function noticeAt(lastPhase: string, signal: NodeJS.Signals): string {
  const titles = APPLY_PHASES.map((p) => p.title);
  const upTo = titles.slice(0, titles.indexOf(lastPhase) + 1);
  expect(upTo.length).toBeGreaterThan(0);
  const script = `
    import { runApplyLike } from '${root}dist/apply-runner.js';
    const command = { jsonEnabled: () => false, isVerbose: () => false, useColor: () => false, say: () => undefined };
    const flags = { concurrency: 1, 'accept-new-host-keys': false, 'ask-become-pass': false, yes: true };
    await runApplyLike(command, 'apply', 'grid.yaml', flags, {}, async (_options, onPhase) => {
      for (const title of ${JSON.stringify(upTo)}) onPhase(title);
      process.kill(process.pid, '${signal}');
      await new Promise((resolve) => setTimeout(resolve, 200));
      throw new Error('stopped');
    }).catch(() => undefined);
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  expect(r.status).toBe(0);
  return r.stderr.trim();
}

describe("apply's interrupt notice", () => {
  it('Ctrl-C while planning: nothing has been changed', () => {
    expect(noticeAt('show the plan and confirm', 'SIGINT')).toBe('interrupted: nothing has been changed yet; stopping (Ctrl-C again to quit now)');
  });

  it('Ctrl-C while applying: the unit that stops is the host (and the batch), not the step', () => {
    const notice = noticeAt('apply in batches', 'SIGINT');
    expect(notice).toBe('interrupted: no new host or batch will start; hosts already being changed finish all their changes, then the state records what was done (Ctrl-C again to quit now)');
    expect(notice).not.toMatch(/no new steps|running steps finish/);
  });

  it('SIGTERM names itself, never Ctrl-C, in every stage', () => {
    const planning = noticeAt('connect, gather facts and read the current state', 'SIGTERM');
    expect(planning).toBe('terminated (SIGTERM): nothing has been changed yet; stopping (send SIGTERM again to quit now)');
    for (const notice of [planning, noticeAt('apply in batches', 'SIGTERM'), noticeAt('verify the overlay', 'SIGTERM')]) expect(notice).not.toContain('Ctrl-C');
  });

  it('after the batches: no host is being changed any more', () => {
    expect(noticeAt('verify the overlay', 'SIGINT')).toBe('interrupted: no host is being changed any more; stopping, and the state records what was done (Ctrl-C again to quit now)');
  });

  it('with --json, the notices are JSON lines of their own on stderr, as the events', () => {
    const script = `
      import { runApplyLike } from '${root}dist/apply-runner.js';
      const command = { jsonEnabled: () => true, isVerbose: () => false, useColor: () => false, say: () => undefined };
      const flags = { concurrency: 1, 'accept-new-host-keys': false, 'ask-become-pass': false, yes: true };
      await runApplyLike(command, 'apply', 'grid.yaml', flags, {}, async (options, onPhase) => {
        onPhase('apply in batches');
        options.emit({ type: 'change-start', host: 'n1', id: 'file /x', summary: 'create /x' });
        process.kill(process.pid, 'SIGTERM');
        await new Promise((resolve) => setTimeout(resolve, 100));
        process.kill(process.pid, 'SIGTERM');
        await new Promise((resolve) => setTimeout(resolve, 2000));
      });
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(130);
    const lines = r.stderr.split('\n').filter(Boolean).map((line) => JSON.parse(line));
    expect(lines.map((l) => l.type)).toEqual(['change-start', 'interrupt', 'quit']);
    expect(lines[1]).toEqual({ type: 'interrupt', signal: 'SIGTERM', message: interruptNotice('SIGTERM', 'applying', 'apply').trim() });
    expect(lines[2]).toEqual({ type: 'quit', signal: 'SIGTERM', message: quitNotice('SIGTERM', ['n1']).trim() });
  });

  it('plan and reset say it their way', () => {
    expect(interruptNotice('SIGTERM', 'planning', 'plan')).toBe('\nterminated (SIGTERM): stopping; plan changes nothing (send SIGTERM again to quit now)\n');
    expect(interruptNotice('SIGINT', 'planning', 'reset')).toBe('\ninterrupted: nothing has been changed yet; stopping (Ctrl-C again to quit now)\n');
  });

  it('a second Ctrl-C quits at once and says which hosts may still be finishing the changes sent to them', () => {
    const script = `
      import { runApplyLike } from '${root}dist/apply-runner.js';
      const command = { jsonEnabled: () => false, isVerbose: () => false, useColor: () => false, say: () => undefined };
      const flags = { concurrency: 2, 'accept-new-host-keys': false, 'ask-become-pass': false, yes: true };
      await runApplyLike(command, 'apply', 'grid.yaml', flags, {}, async (options, onPhase) => {
        onPhase('apply in batches');
        for (const host of ['n1', 'n2', 'n3']) options.emit({ type: 'change-start', host, id: 'file /x', summary: 'create /x' });
        options.emit({ type: 'host-done', host: 'n2', applied: 1, ms: 5 });
        process.kill(process.pid, 'SIGINT');
        await new Promise((resolve) => setTimeout(resolve, 100));
        process.kill(process.pid, 'SIGINT');
        await new Promise((resolve) => setTimeout(resolve, 2000));
      });
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(130);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(
      'interrupted again: quitting now; the changes already sent to 2 hosts (n1 and n3) are not stopped and may still be finishing their batch, and the state does not record them; the lock is released now, so give those hosts a moment to finish (check them) before running gridops again, which then reads them afresh and converges',
    );
    expect(quitNotice('SIGTERM', [])).toBe('\nterminated (SIGTERM) again: quitting now\n');
  });
});
