import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateLock } from '../../src/state/lock.js';
import { processIdentity } from '../../src/fs/process-start.js';

/**
 * A lock whose pid is alive, but not as its holder: after a SIGKILL in a container (small pids come
 * round again) or a reboot, the pid may be another process, or this very one.
 */
describe('StateLock: a pid that is alive but not the holder', () => {
  let dir: string;
  let child: ChildProcess | undefined;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-lock-pid-'))));
  afterEach(() => {
    child?.kill('SIGKILL');
    child = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const lockOf = (pid: number, startedAt: string) => `${JSON.stringify({ pid, host: hostname(), command: 'gridops apply killed.yaml', startedAt, pidns: readlinkSync('/proc/self/ns/pid') })}\n`;
  const sleeper = async (): Promise<ChildProcess> => {
    const c = spawn('sleep', ['60'], { stdio: 'ignore' });
    await new Promise((resolve) => c.once('spawn', resolve));
    return c;
  };

  it('our own pid, in a lock this process does not hold, is a stale lock: taken over with a warning', async () => {
    const file = join(dir, 'own.lock');
    writeFileSync(file, lockOf(process.pid, new Date(Date.now() - 60_000).toISOString()));
    const warnings: string[] = [];
    const lock = await StateLock.acquire(file, 'gridops apply again.yaml', (m) => warnings.push(m));
    expect(warnings).toEqual([expect.stringContaining(`taking over a stale lock left by process ${process.pid}`)]);
    expect(JSON.parse(readFileSync(file, 'utf8')).command).toBe('gridops apply again.yaml');
    await lock.release();
    expect(existsSync(file)).toBe(false);
  });

  it('a live process that started after the lock was taken is not its holder: taken over', async () => {
    const file = join(dir, 'reused.lock');
    child = await sleeper();
    writeFileSync(file, lockOf(child.pid!, new Date(Date.now() - 60_000).toISOString()));
    const warnings: string[] = [];
    const lock = await StateLock.acquire(file, 'x', (m) => warnings.push(m));
    expect(warnings).toEqual([expect.stringContaining(`process ${child.pid}`)]);
    await lock.release();
    // A lock that names its process for good (boot and start): another start of that pid is not it, whatever the clock says.
    writeFileSync(file, `${JSON.stringify({ ...JSON.parse(lockOf(child.pid!, new Date().toISOString())), process: `${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()}:1` })}\n`);
    const again = await StateLock.acquire(file, 'y');
    await again.release();
    expect(existsSync(file)).toBe(false);
  });

  it('a live process that started before the lock was taken holds it: refused, and the hint says how to remove the lock safely', async () => {
    const file = join(dir, 'live.lock');
    child = await sleeper();
    await new Promise((resolve) => setTimeout(resolve, 50));
    writeFileSync(file, lockOf(child.pid!, new Date().toISOString()));
    const refused = StateLock.acquire(file, 'x');
    await expect(refused).rejects.toThrow(`the state is locked by process ${child.pid} on ${hostname()}`);
    await expect(refused).rejects.toMatchObject({ hint: `wait for that run to finish; if process ${child.pid} is not a gridops run (its pid came round again after a crash or a reboot), remove ${file}` });
    expect(readFileSync(file, 'utf8')).toBe(lockOf(child.pid!, JSON.parse(readFileSync(file, 'utf8')).startedAt));
    // Named for good, and still that process: held, however long ago the lock says it was taken.
    const named = `${JSON.stringify({ ...JSON.parse(lockOf(child.pid!, '2020-01-01T00:00:00.000Z')), process: processIdentity(child.pid!) })}\n`;
    writeFileSync(file, named);
    await expect(StateLock.acquire(file, 'x')).rejects.toThrow(`the state is locked by process ${child.pid}`);
    expect(readFileSync(file, 'utf8')).toBe(named);
  });

  it('a lock this process holds is still refused to a second run in it', async () => {
    const file = join(dir, 'held.lock');
    const held = await StateLock.acquire(file, 'first');
    await expect(StateLock.acquire(file, 'second')).rejects.toThrow(`the state is locked by process ${process.pid}`);
    await held.release();
  });
});
