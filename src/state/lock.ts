import { hostname } from 'node:os';
import { open, readFile, unlink, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LockHeldError } from '../errors/index.js';

interface LockHolder {
  pid: number;
  host: string;
  command: string;
  startedAt: string;
}

/**
 * An exclusive lock on a grid's state: a file created with O_EXCL. A lock left by a process
 * that no longer runs on this machine is detected as stale and taken over, with a warning.
 */
export class StateLock {
  private constructor(readonly file: string) {}

  static async acquire(file: string, command: string, warn: (message: string) => void = () => undefined): Promise<StateLock> {
    await mkdir(dirname(file), { recursive: true });
    const me: LockHolder = { pid: process.pid, host: hostname(), command, startedAt: new Date().toISOString() };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await open(file, 'wx', 0o600);
        await handle.writeFile(`${JSON.stringify(me)}\n`);
        await handle.close();
        return new StateLock(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = await readHolder(file);
      if (holder && holder.host === me.host && !isAlive(holder.pid)) {
        warn(`taking over a stale lock left by process ${holder.pid} (${holder.command}, started ${holder.startedAt}), which is no longer running`);
        await unlink(file).catch(() => undefined);
        continue;
      }
      throw new LockHeldError(
        `the state is locked by ${holder ? `process ${holder.pid} on ${holder.host} (${holder.command}, started ${holder.startedAt})` : `an unreadable lock file ${file}`}`,
        holder?.host === me.host ? 'wait for that run to finish' : `if that run is certainly gone, remove ${file}`,
      );
    }
    throw new LockHeldError(`could not take the lock ${file}`, 'try again');
  }

  async release(): Promise<void> {
    await unlink(this.file).catch(() => undefined);
  }
}

async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
