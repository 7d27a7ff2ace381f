/**
 * The commands that end or watch a held batch (batch-group.ts), run by the local `sh` against
 * real process groups: a group led by its shell, as sshd's session makes it.
 */
import { jest } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { batchWatchdogCommand, endBatchCommand, NOT_A_GROUP_LEADER } from '../../src/transport/batch-group.js';

jest.setTimeout(30_000);

const started: ChildProcess[] = [];
/** A batch's shell leading a group of its own (sshd's setsid), running `script`. */
function batch(script: string, ownGroup = true): ChildProcess {
  const child = spawn('sh', ['-c', script], { stdio: 'ignore', detached: ownGroup });
  started.push(child);
  return child;
}
const alive = (pattern: string) => spawnSync('pgrep', ['-f', pattern]).status === 0;
async function until(check: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) if (check()) return true;
  return check();
}
const run = (command: string) => spawnSync('sh', ['-c', command], { encoding: 'utf8', timeout: 10_000 });
/** A number for `sleep` that only this test's processes use. */
const marker = (n: number) => `${7000 + n}.${process.pid}`;

afterAll(() => {
  for (const c of started) if (c.pid && c.exitCode === null) spawnSync('pkill', ['-KILL', '-g', String(c.pid)]);
});

describe('ending a held batch', () => {
  it('ends the shell and everything it started, at once, and returns at once', async () => {
    const m = marker(1);
    const shell = batch(`sleep ${m} & sleep ${m}`);
    expect(await until(() => alive(`sleep ${m}`), 2000)).toBe(true);
    const t0 = Date.now();
    expect(run(endBatchCommand(shell.pid!)).status).toBe(0);
    expect(Date.now() - t0).toBeLessThan(1500); // the KILL 2 s later waits in the background
    expect(await until(() => !alive(`sleep ${m}`), 2000)).toBe(true);
  });

  it('kills what ignores TERM, 2 s later', async () => {
    const m = marker(2);
    // An ignored signal stays ignored across fork and exec: both sleeps ignore TERM.
    const shell = batch(`trap '' TERM; sleep ${m} & sleep ${m}`);
    expect(await until(() => alive(`sleep ${m}`), 2000)).toBe(true);
    run(endBatchCommand(shell.pid!));
    await sleep(1000);
    expect(alive(`sleep ${m}`)).toBe(true);
    expect(await until(() => !alive(`sleep ${m}`), 3000)).toBe(true);
  });

  it('ends what is left of a group whose shell is gone already (sshd\'s TERM reaches a non-root session\'s shell first)', async () => {
    const m = marker(5);
    const shell = batch(`trap '' TERM; sleep ${m} & sleep ${m} & wait`);
    expect(await until(() => alive(`sleep ${m}`), 2000)).toBe(true);
    process.kill(shell.pid!, 'SIGKILL');
    await until(() => shell.exitCode !== null || shell.signalCode !== null, 2000);
    expect(run(endBatchCommand(shell.pid!)).status).toBe(0);
    expect(await until(() => !alive(`sleep ${m}`), 4000)).toBe(true);
  });

  it('leaves alone a shell that does not lead its own group (its group is someone else\'s), and says so by its status', async () => {
    const m = marker(3);
    const shell = batch(`sleep ${m}`, false);
    expect(await until(() => alive(`sleep ${m}`), 2000)).toBe(true);
    expect(run(endBatchCommand(shell.pid!)).status).toBe(NOT_A_GROUP_LEADER);
    expect(run(batchWatchdogCommand(shell.pid!, 1)).status).toBe(NOT_A_GROUP_LEADER);
    await sleep(700);
    expect(alive(`sleep ${m}`)).toBe(true);
    shell.kill('SIGKILL');
    spawnSync('pkill', ['-f', `sleep ${m}`]);
  });

  it('takes only a process number above 1', () => {
    for (const bad of [0, 1, -5, 2.5, Number.NaN]) expect(() => endBatchCommand(bad)).toThrow(/not a process group/);
    expect(() => batchWatchdogCommand(1234, 0)).toThrow(/not a deadline/);
  });
});

describe('the watchdog a long batch leaves on its host', () => {
  it('ends the batch at its deadline when nobody else did (the client gone)', async () => {
    const m = marker(4);
    const shell = batch(`sleep ${m} & sleep ${m}`);
    expect(await until(() => alive(`sleep ${m}`), 2000)).toBe(true);
    const t0 = Date.now();
    expect(run(batchWatchdogCommand(shell.pid!, 2)).status).toBe(0);
    expect(Date.now() - t0).toBeLessThan(1500); // it waits in the background
    await sleep(1200);
    expect(alive(`sleep ${m}`)).toBe(true);
    expect(await until(() => !alive(`sleep ${m}`), 3000)).toBe(true);
  });

  it('ends by itself once the batch ended, without touching anything', async () => {
    const shell = batch('sleep 1');
    run(batchWatchdogCommand(shell.pid!, 60));
    const watchdog = `p=${shell.pid}; n=`;
    expect(alive(watchdog)).toBe(true);
    // It looks every 5 s: gone within that after the batch's end.
    expect(await until(() => !alive(watchdog), 8000)).toBe(true);
  });
});
