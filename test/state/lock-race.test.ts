import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { StateLock } from '../../src/state/lock.js';

/**
 * Real processes race for a lock left by a dead process. Each contender is a long-lived child
 * (so 100 rounds cost 4 process starts, not 400) that runs the real StateLock, bundled from
 * src/ by esbuild so this test never runs a stale build.
 */
const CONTENDERS = 4;
const ROUNDS = 100;

const dir = mkdtempSync(join(tmpdir(), 'gridops-lock-race-'));
const lockFile = join(dir, 'grid.lock');
const children: ChildProcess[] = [];

/** The pid of a process that has certainly exited (it ran and we reaped it). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

function staleLock(pid: number): string {
  return `${JSON.stringify({ pid, host: hostname(), command: 'gridops apply dead.yaml', startedAt: '2026-01-01T00:00:00.000Z' })}\n`;
}

type Reply = { round: number; won: boolean; error?: string; warned: boolean };

beforeAll(() => {
  const bundle = join(dir, 'contender.mjs');
  buildSync({
    stdin: {
      contents: `
        import { StateLock } from './src/state/lock.ts';
        let held;
        process.on('message', async (m) => {
          if (m.type === 'race') {
            let warned = false;
            try {
              held = await StateLock.acquire(m.file, 'contender', () => { warned = true; });
              process.send({ round: m.round, won: true, warned });
            } catch (err) {
              process.send({ round: m.round, won: false, warned, error: err.name + ': ' + err.message });
            }
          } else if (m.type === 'release') {
            await held?.release();
            held = undefined;
            process.send({ released: m.round });
          } else if (m.type === 'exit') {
            process.exit(0);
          }
        });
        process.send({ ready: true });
      `,
      resolveDir: fileURLToPath(new URL('../../', import.meta.url)),
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: bundle,
    logLevel: 'error',
  });
  return Promise.all(
    Array.from({ length: CONTENDERS }, () => {
      const child = fork(bundle, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(child);
      return new Promise<void>((resolve) => child.once('message', () => resolve()));
    }),
  );
}, 30_000);

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const next = <T>(child: ChildProcess) => new Promise<T>((resolve) => child.once('message', (m) => resolve(m as T)));

describe('StateLock', () => {
  it(`${ROUNDS} races of ${CONTENDERS} processes over a stale lock: exactly one takes it every time`, async () => {
    const started = Date.now();
    const dead = deadPid();
    const winners: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      writeFileSync(lockFile, staleLock(dead));
      const replies = children.map((c) => next<Reply>(c));
      for (const c of children) c.send({ type: 'race', round, file: lockFile });
      const results = await Promise.all(replies);
      const won = results.filter((r) => r.won);
      if (won.length !== 1) throw new Error(`round ${round}: ${won.length} winners: ${JSON.stringify(results)}`);
      for (const lost of results.filter((r) => !r.won)) expect(lost.error).toMatch(/^LockHeldError: the state is locked by process \d+|^LockHeldError: the state is locked by an unreadable lock file/);
      // The lock on disk names the winner, and no takeover marker is left behind.
      const winner = children[results.indexOf(won[0]!)]!;
      expect(JSON.parse(readFileSync(lockFile, 'utf8')).pid).toBe(winner.pid);
      expect(existsSync(`${lockFile}.takeover`)).toBe(false);
      winners.push(results.indexOf(won[0]!));
      const released = next(winner);
      winner.send({ type: 'release', round });
      await released;
    }
    expect(existsSync(lockFile)).toBe(false);
    // Bounded: each round is a few file operations per contender.
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 60_000);

  it('a lock held by a live process is refused, naming the holder', async () => {
    const held = await StateLock.acquire(join(dir, 'live.lock'), 'gridops apply live.yaml');
    await expect(StateLock.acquire(join(dir, 'live.lock'), 'second')).rejects.toThrow(`the state is locked by process ${process.pid}`);
    await held.release();
  });

  it('a takeover marker left by a dead process is reported with what to remove', async () => {
    const file = join(dir, 'marker.lock');
    writeFileSync(file, staleLock(deadPid()));
    writeFileSync(`${file}.takeover`, staleLock(deadPid()));
    await expect(StateLock.acquire(file, 'x')).rejects.toMatchObject({ hint: expect.stringContaining(`remove ${file}.takeover`) });
  });

  it('release leaves a lock that is no longer this run\'s (another run took it over since)', async () => {
    const file = join(dir, 'taken.lock');
    const mine = await StateLock.acquire(file, 'first');
    const theirs = staleLock(process.pid).replace('dead.yaml', 'theirs.yaml');
    writeFileSync(file, theirs);
    await mine.release();
    expect(readFileSync(file, 'utf8')).toBe(theirs);
    // The exit hook's release (a second Ctrl-C) alike: a lock with the same pid is not ours by that alone.
    mine.releaseSync();
    expect(readFileSync(file, 'utf8')).toBe(theirs);
    rmSync(file);
    const again = await StateLock.acquire(file, 'again');
    again.releaseSync();
    expect(existsSync(file)).toBe(false);
  });

  it('a lock of a process in another PID namespace (a container with the same host name) is not judged dead from here', async () => {
    const file = join(dir, 'container.lock');
    const other = { pid: deadPid(), host: hostname(), command: 'gridops apply in-a-container.yaml', startedAt: '2026-01-01T00:00:00.000Z', pidns: 'pid:[1]' };
    writeFileSync(file, `${JSON.stringify(other)}\n`);
    const refused = StateLock.acquire(file, 'x');
    await expect(refused).rejects.toThrow(`process ${other.pid} on ${hostname()}, in another PID namespace (a container)`);
    await expect(refused).rejects.toMatchObject({ hint: `if that run is certainly gone, remove ${file}` });
    // The same namespace as ours, dead: stale, taken over as before.
    writeFileSync(file, `${JSON.stringify({ ...other, pidns: readlinkSync('/proc/self/ns/pid') })}\n`);
    const lock = await StateLock.acquire(file, 'y');
    await lock.release();
    expect(existsSync(file)).toBe(false);
  });
});
