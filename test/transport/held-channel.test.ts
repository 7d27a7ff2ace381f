/**
 * A held read's command and its client side (held-read.ts) with a local `sh` for the host's side
 * (HeldLocalTransport): the batch in the read's own shell, and that shell's process group ended
 * past the deadline.
 */
import { jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { CommandTimeoutError } from '../../src/transport/errors.js';
import { heldReadCommand, heldSentinel } from '../../src/transport/held-read.js';
import { HeldLocalTransport } from '../support/held-local-transport.js';

jest.setTimeout(20_000);

const alive = (pattern: string) => spawnSync('pgrep', ['-f', pattern]).status === 0;

let t: HeldLocalTransport;
beforeEach(() => (t = new HeldLocalTransport('n1')));
afterEach(() => t.close());

it('runs the batch in the read\'s own process, its output and status its own', async () => {
  const held = await t.execHeld('echo "read $$"', { timeoutMs: 5000 });
  const readShell = /^read (\d+)\n$/.exec(held.result.stdout)![1];
  expect(held.waiting).toBe(true);
  const batch = await held.proceed('echo "batch $$"; echo err >&2; exit 4\n', { timeoutMs: 5000 });
  expect(batch).toEqual({ stdout: `batch ${readShell}\n`, stderr: 'err\n', code: 4 });
});

it('a batch without an exit of its own ends with its last command\'s status', async () => {
  const held = await t.execHeld('true', { timeoutMs: 5000 });
  expect((await held.proceed('echo last; false\n', { timeoutMs: 5000 })).code).toBe(1);
  const again = await t.execHeld('true', { timeoutMs: 5000 });
  expect((await again.proceed('echo last\n', { timeoutMs: 5000 })).code).toBe(0);
});

it('a batch larger than the shell\'s read buffer runs whole, heredocs and all', async () => {
  const held = await t.execHeld('true', { timeoutMs: 5000 });
  const filler = `: ${'x'.repeat(20_000)}\n`;
  const text = 'y'.repeat(30_000);
  const r = await held.proceed(`${filler}cat <<'END' | wc -c\n${text}\nEND\n${filler}echo after\n`, { timeoutMs: 5000 });
  expect(r).toMatchObject({ stdout: `${text.length + 1}\nafter\n`, code: 0 });
});

it('a batch past its deadline is ended with everything it started', async () => {
  const m = `${8000 + (process.pid % 1000)}.5`;
  const held = await t.execHeld('true', { timeoutMs: 5000 });
  const err = await held.proceed(`sleep ${m} & sleep ${m}; echo never\n`, { timeoutMs: 300 }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(CommandTimeoutError);
  for (let i = 0; i < 40 && alive(`sleep ${m}`); i++) await sleep(50);
  expect(alive(`sleep ${m}`)).toBe(false);
});

/**
 * sshd gives a session's shell pipes; Node's child processes get sockets, where the held command
 * takes its other way (a new `sh -s` in the same process). Here its stdin is a real pipe.
 */
describe('with stdin a pipe, as sshd gives it', () => {
  const overPipe = (script: string, input: string) => {
    const sentinel = heldSentinel();
    const r = spawnSync('sh', ['-c', 'printf %s "$1" | sh -c "$2"', 'sh', input, heldReadCommand(script, sentinel)], { encoding: 'utf8', timeout: 10_000 });
    const [read, batch] = r.stdout.split(new RegExp(`\\n${sentinel} [0-9]+ [0-9]+\\n`));
    return { read: read.trimEnd(), batch, status: r.status };
  };

  it('the batch runs in the read\'s own shell, which it reads on from the pipe (`.`): what the read set is there', () => {
    const r = overPipe('v=from-read; echo "read $$"', 'run\necho "batch [${v-unset}] [${_gh-unset}] $$"; exit 4\n');
    const pid = /^read (\d+)$/.exec(r.read)?.[1];
    expect(r.read).toMatch(/^read \d+$/);
    expect(r.batch).toBe(`batch [from-read] [unset] ${pid}\n`);
    expect(r.status).toBe(4);
  });

  it('a batch larger than the shell\'s read buffer runs whole, heredocs and all; its last status is the shell\'s', () => {
    const filler = `: ${'x'.repeat(20_000)}\n`;
    const text = 'y'.repeat(30_000);
    const r = overPipe('true', `run\n${filler}cat <<'END' | wc -c\n${text}\nEND\n${filler}echo after; false\n`);
    expect(r.batch).toBe(`${text.length + 1}\nafter\n`);
    expect(r.status).toBe(1);
  });

  it('without `run` first, nothing runs', () => {
    const r = overPipe('true', '61\necho ran\n');
    expect(r).toMatchObject({ batch: '', status: 0 });
  });
});

it('the test transport refuses work after close, as an SSH connection does', async () => {
  await t.close();
  await expect(t.exec('true')).rejects.toThrow(/already closed/);
  await expect(t.execHeld('true', { timeoutMs: 5_000 })).rejects.toThrow(/already closed/);
  await expect(t.read('/etc/hostname')).rejects.toThrow(/already closed/);
  await expect(t.upload('/tmp/never-written', 'x')).rejects.toThrow(/already closed/);
  expect(t.execs).toEqual([]);
  expect(t.shells).toEqual([]);
});
