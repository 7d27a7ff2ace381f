import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aptInstall, aptUpdateWithRetries } from '../../src/resources/apt-scripts.js';
import { StepRecorder } from '../../src/resources/step-recorder.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { quote } from '../../src/transport/quote.js';

const dir = mkdtempSync(join(tmpdir(), 'gridops-apt-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const local = new LocalTransport('local');

/**
 * A fake apt-get on PATH whose first `locked` calls fail as apt does when another apt holds
 * `lock` (at once, exit 100, whatever DPkg::Lock::Timeout says), and whose later calls succeed.
 */
function lockedApt(name: string, locked: number, lock: string, options: { translated?: boolean } = {}): { path: string; calls: () => string[] } {
  const bin = mkdtempSync(join(dir, `${name}-`));
  const log = join(bin, 'calls');
  writeFileSync(log, '');
  writeFileSync(
    join(bin, 'apt-get'),
    [
      '#!/bin/sh',
      `echo "$*" >> ${quote(log)}`,
      `n=$(wc -l < ${quote(log)})`,
      // A host whose locale is translated: apt says it in French unless LC_ALL=C.
      ...(options.translated ? [`if [ "$n" -le ${locked} ] && [ "$LC_ALL" != C ]; then echo ${quote(`E: Impossible d'obtenir le verrou ${lock}`)} >&2; exit 100; fi`] : []),
      `if [ "$n" -le ${locked} ]; then echo ${quote(`E: Could not get lock ${lock}. It is held by process 812 (apt-get)`)} >&2; echo ${quote(`E: Unable to lock directory ${lock.replace(/lock$/, '')}`)} >&2; exit 100; fi`,
      'echo done',
    ].join('\n'),
  );
  chmodSync(join(bin, 'apt-get'), 0o755);
  // After an install the step asks dpkg-query for pending triggers: this one knows no package, so the host's own dpkg is never asked (nor run).
  writeFileSync(join(bin, 'dpkg-query'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
  return { path: `${bin}:${process.env.PATH}`, calls: () => readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) };
}

async function run(path: string, script: string) {
  const t0 = performance.now();
  const result = await local.exec(`PATH=${quote(path)}; export PATH\n${script}`, { timeoutMs: 30_000 });
  return { ...result, seconds: (performance.now() - t0) / 1000 };
}

// A short pause between tries (the default is 5 s); the total is whole seconds, as the script measures it.
const quick = { totalS: 6, pauseS: 0.1 };

describe('apt waits for the lock another apt holds (apt-daily on a fresh VM), which DPkg::Lock::Timeout does not cover', () => {
  it('apt-get update: the lists lock held for 4 calls, then free: waits without using up its 2 attempts, and succeeds', async () => {
    const apt = lockedApt('update', 4, '/var/lib/apt/lists/lock');
    const result = await run(apt.path, aptUpdateWithRetries([5, 5], quick));
    expect(result.code).toBe(0);
    expect(apt.calls()).toHaveLength(5);
    expect(result.stdout).toContain('done');
    expect(result.stderr).toContain('apt-get update: waiting for the apt lock (up to 6 s): E: Could not get lock /var/lib/apt/lists/lock. It is held by process 812 (apt-get)');
    expect(result.stderr).not.toContain('attempt 1 of 2 failed');
  });

  it('a lock held past the wait: the attempt fails, saying so, and the wait is not made again for the next attempt', async () => {
    const apt = lockedApt('held', 100, '/var/lib/apt/lists/lock');
    const result = await run(apt.path, aptUpdateWithRetries([5, 5], { totalS: 2, pauseS: 1 }));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('apt-get update: the apt lock is still held after 2 s');
    expect(result.stderr).toContain('attempt 2 of 2 failed');
    // 2 or 3 calls of the first attempt (at 0, 1, 2 s by the wall clock, whose seconds may tick early), and 1 of the second.
    expect(apt.calls().length).toBeGreaterThanOrEqual(3);
    expect(apt.calls().length).toBeLessThanOrEqual(4);
  });

  it('apt-get install: the archives lock held for 2 calls, then free: succeeds; conffile prompts keep the local file', async () => {
    const apt = lockedApt('install', 2, '/var/cache/apt/archives/lock');
    const result = await run(apt.path, aptInstall(['jq', 'curl'], quick));
    expect(result.code).toBe(0);
    expect(apt.calls()).toEqual(Array(3).fill('-o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install -y -q --no-install-recommends jq curl'));
    expect(result.stderr).toContain('apt-get install: waiting for the apt lock');
  });

  it("in a batch, the wait is a step warning: one line per wait, apt's line naming the holder, without apt's other lines", async () => {
    const marker = '@@gridops-step-0123456789abcdef@@';
    const apt = lockedApt('warned', 2, '/var/lib/apt/lists/lock');
    const result = await run(apt.path, aptUpdateWithRetries([5, 5], quick, marker));
    expect(result.code).toBe(0);
    expect(result.stderr.split('\n').filter((l) => l.includes('lock'))).toEqual([
      `${marker} warning apt-get update: waiting for the apt lock (up to 6 s): E: Could not get lock /var/lib/apt/lists/lock. It is held by process 812 (apt-get)`,
    ]);
    // An install's wait is a wait of its own, said again.
    const install = lockedApt('install-warned', 1, '/var/cache/apt/archives/lock');
    const installed = await run(install.path, aptInstall(['jq'], quick, marker));
    expect(installed.code).toBe(0);
    expect(installed.stderr).toBe(`${marker} warning apt-get install: waiting for the apt lock (up to 6 s): E: Could not get lock /var/cache/apt/archives/lock. It is held by process 812 (apt-get)\n`);
  });

  it('on a host whose locale is translated, apt runs under LC_ALL=C, so its lock message is recognised and waited for', async () => {
    const apt = lockedApt('translated', 2, '/var/lib/apt/lists/lock', { translated: true });
    const result = await run(apt.path, `export LANG=fr_FR.UTF-8\n${aptUpdateWithRetries([5, 5], quick)}`);
    expect(result.code).toBe(0);
    expect(apt.calls()).toHaveLength(3);
    expect(result.stderr).not.toContain('attempt 1 of 2 failed');
  });

  it('another failure is not waited for: it fails at once, with its message', async () => {
    const bin = mkdtempSync(join(dir, 'broken-'));
    writeFileSync(join(bin, 'apt-get'), '#!/bin/sh\necho "E: Unable to locate package nope" >&2\nexit 100\n', { mode: 0o755 });
    const result = await run(`${bin}:${process.env.PATH}`, aptInstall(['nope'], quick));
    expect(result.code).toBe(100);
    expect(result.stderr).toBe('E: Unable to locate package nope\n');
    expect(result.seconds).toBeLessThan(3);
  });

  it("the recorder records the install as one step, named by its packages, and gives both steps its batch's marker", async () => {
    const recorder = new StepRecorder('h', { warningMarker: '@@gridops-step-0123456789abcdef@@' });
    await recorder.aptInstall(['jq']);
    expect(recorder.steps.map((s) => s.label)).toEqual(['apt-get update', 'apt-get install jq']);
    // Both say their lock waits as warnings of the recorder's batch.
    expect(recorder.steps.map((s) => s.command.includes("'@@gridops-step-0123456789abcdef@@ warning '"))).toEqual([true, true]);
  });
});
