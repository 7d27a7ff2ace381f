import { readFileSync } from 'node:fs';

/**
 * When a process started, as Linux's /proc tells it: field 22 of /proc/PID/stat, in clock ticks
 * since boot. A pid names one process only while it runs: after a crash (SIGKILL) or a reboot the
 * same number may be another process, in a container soon (its pids are few and small). So what
 * names one process for good is its pid with its start, in that boot.
 */

/** Clock ticks per second in /proc: USER_HZ, 100 on every architecture Node.js runs on (`getconf CLK_TCK`). */
const USER_HZ = 100;

/** The start of `pid` in ticks since boot, or undefined where /proc does not say (not Linux, no such process). */
function startTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The name (field 2) is in parentheses and may hold spaces and parentheses: count from the last ')'. State is field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[22 - 3]);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * One running process for good: this boot's id and the process's start in ticks
 * (`BOOT_ID:TICKS`). Exact, whatever the wall clock did since; undefined where /proc does not say.
 */
export function processIdentity(pid: number): string | undefined {
  const bootId = readOrUndefined('/proc/sys/kernel/random/boot_id')?.trim();
  const ticks = startTicks(pid);
  return bootId && ticks !== undefined ? `${bootId}:${ticks}` : undefined;
}

/**
 * When `pid` started, in ms since the epoch: the boot time (`btime` of /proc/stat, whole seconds)
 * plus its start since boot. As good as the wall clock: a clock stepped since boot moves it.
 */
export function processStartedAt(pid: number): number | undefined {
  const btime = /^btime (\d+)$/m.exec(readOrUndefined('/proc/stat') ?? '')?.[1];
  const ticks = startTicks(pid);
  return btime !== undefined && ticks !== undefined ? Number(btime) * 1000 + (ticks * 1000) / USER_HZ : undefined;
}
