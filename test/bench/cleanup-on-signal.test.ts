import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bringDown, cleanupOnSignal, interruptedChild } from '../../bench/lib/cleanup-on-signal.js';

const lib = join(process.cwd(), 'bench/lib/cleanup-on-signal.js');

/**
 * A bench in miniature, as bench/provision.js is built: a cleanup that runs a fake `lab down` (it
 * appends a line to a file), two timed child runs with spawnSync (\`sleep SECONDS\`), each after a
 * turn of the loop, and on a failed child a turn of the loop before giving up. Started in a process
 * group of its own, signalled as the terminal would.
 */
const miniBench = (downLog: string, seconds: number) => `
import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { cleanupOnSignal, interruptedChild, signalsDelivered } from ${JSON.stringify(lib)};
const cleanup = cleanupOnSignal(() => appendFileSync(${JSON.stringify(downLog)}, 'lab down\\n'), () => undefined);
try {
  for (const run of [1, 2]) {
    await signalsDelivered();
    appendFileSync(${JSON.stringify(downLog)}, 'run ' + run + '\\n');
    console.log('running');
    const r = spawnSync('sleep', ['${seconds}']);
    if (interruptedChild(r)) throw new Error('interrupted');
  }
} catch (err) {
  await signalsDelivered();
  throw err;
} finally {
  cleanup();
}
`;

describe('cleanupOnSignal', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'bench-cleanup-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['SIGINT', 'the whole group (Ctrl-C)', 130],
    ['SIGTERM', 'the whole group', 143],
    ['SIGTERM', 'the bench alone (kill PID)', 143],
  ] as const)('%s to %s during a spawnSync: the cleanup runs once, no further run starts, exit %i', async (signal, to, status) => {
    const wholeGroup = to.startsWith('the whole group');
    const downLog = join(dir, 'down.log');
    // To the bench alone, its child does not get the signal and runs to its end (1 s).
    const child = spawn(process.execPath, ['--input-type=module', '-e', miniBench(downLog, wholeGroup ? 30 : 1)], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    // Let the spawnSync start its child (the line is printed just before).
    await new Promise((resolve) => setTimeout(resolve, 200));
    process.kill(wholeGroup ? -child.pid! : child.pid!, signal);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(status);
    expect(readFileSync(downLog, 'utf8')).toBe('run 1\nlab down\n');
  }, 15_000);

  it('runs the cleanup once when called again', () => {
    let runs = 0;
    const handlers: Record<string, () => void> = {};
    const cleanup = cleanupOnSignal(() => runs++, () => undefined, { on: (s, h) => (handlers[s] = h), exit: () => undefined });
    cleanup();
    cleanup();
    handlers.SIGINT!();
    expect(runs).toBe(1);
  });
});

describe('interruptedChild', () => {
  it('names the signal that ended the child, or the status it exited with for one', () => {
    expect(interruptedChild({ signal: 'SIGINT', status: null })).toBe('SIGINT');
    expect(interruptedChild({ signal: null, status: 143 })).toBe('SIGTERM');
    expect(interruptedChild({ signal: null, status: 1 })).toBeUndefined();
    expect(interruptedChild({ signal: 'SIGKILL', status: null })).toBeUndefined();
  });
});

describe('bringDown', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'bench-down-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('says nothing when the lab came down', () => {
    const lines: string[] = [];
    expect(bringDown('true', ['lab', 'down'], (l) => lines.push(l))).toBe(true);
    expect(lines).toEqual([]);
  });

  it("warns with what the lab command said and the command to run by hand when it failed", () => {
    const fakeLab = join(dir, 'fake-lab');
    writeFileSync(fakeLab, '#!/bin/sh\necho "gridops: lab down: netns node-7 busy" >&2\nexit 3\n');
    chmodSync(fakeLab, 0o755);
    const lines: string[] = [];
    expect(bringDown(fakeLab, ['lab', 'down', '--dir', '/tmp/x'], (l) => lines.push(l))).toBe(false);
    expect(lines.join('\n')).toContain('WARNING: the lab is still up');
    expect(lines.join('\n')).toContain('(exit 3)');
    expect(lines.join('\n')).toContain('netns node-7 busy');
    expect(lines.join('\n')).toContain(`bring it down by hand: ${fakeLab} lab down --dir /tmp/x`);
  });
});
