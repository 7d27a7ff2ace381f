import { execa } from 'execa';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { rm, rmdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { LabError } from '../errors/index.js';
import { addressNetworks, type MachineNetwork, routeNetworks } from './slot-conflicts.js';

/** Runs a local command (argv, no shell); a failure becomes a LabError naming the step. */
export async function run(step: string, file: string, args: readonly string[], options: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<string> {
  const r = await execa(file, args, { input: options.input, timeout: options.timeoutMs, reject: false, env: options.env, stdin: options.input === undefined ? 'ignore' : 'pipe' });
  if (r.exitCode !== 0) {
    const detail = `${r.stderr || r.stdout || ''}`.trim().split('\n').slice(-3).join(' | ');
    throw new LabError(`${step} failed (${file} exit ${r.exitCode ?? r.signal})${detail ? `: ${detail}` : ''}`, 'run `gridops lab down` with the --dir of this command to remove what was built, then try again with --verbose');
  }
  return r.stdout;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** True while the PID exists (and is not a zombie we could reap). */
export function pidAlive(pid: number | undefined): boolean {
  if (!pid || pid <= 1) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** A process as it is now: its pid and start time, so a reused pid is not mistaken for it. */
export interface ProcessIdentity {
  pid: number;
  startTime: string;
}

/** The identity of a running (or zombie) process, or undefined when it is gone. */
export function processIdentity(pid: number): ProcessIdentity | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return { pid, startTime: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]! };
  } catch {
    return undefined;
  }
}

/**
 * Waits until each process has left the process table, not only died: a killed process stays a
 * zombie until its parent reaps it (for a detached nspawn that is PID 1, which may take a second),
 * and until then it still shows in `ps`. Returns those still there after `timeoutMs`.
 */
export async function waitUntilReaped(processes: readonly ProcessIdentity[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  const present = () => processes.filter((p) => processIdentity(p.pid)?.startTime === p.startTime).map((p) => p.pid);
  while (present().length && Date.now() < deadline) await sleep(25);
  return present();
}

/** The command line of a PID, NUL bytes as spaces ('' when gone). */
export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

/** PIDs whose network namespace is the named one (what `ip netns pids` reports), read from /proc. */
export function pidsInNetns(netns: string): number[] {
  let target: string;
  try {
    const st = statSync(`/run/netns/${netns}`);
    target = `net:[${st.ino}]`;
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readlinkSync(`/proc/${e}/ns/net`) === target) out.push(Number(e));
    } catch {
      /* raced with exit */
    }
  }
  return out;
}

/** PIDs whose command line contains `marker` (a lab-unique argument such as qemu's process name). */
export function pidsWithArg(marker: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (/^\d+$/.test(e) && Number(e) !== process.pid && cmdline(Number(e)).includes(marker)) out.push(Number(e));
  }
  return out;
}

/**
 * Ends processes by PID: SIGTERM, wait up to `graceMs`, then SIGKILL what is left.
 * Returns the PIDs that needed SIGKILL.
 */
export async function terminate(pids: readonly number[], graceMs: number): Promise<number[]> {
  const live = [...new Set(pids)].filter(pidAlive);
  for (const pid of live) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && live.some(pidAlive)) await sleep(50);
  const stubborn = live.filter(pidAlive);
  for (const pid of stubborn) signal(pid, 'SIGKILL');
  const hard = Date.now() + 3000;
  while (Date.now() < hard && stubborn.some(pidAlive)) await sleep(20);
  return stubborn;
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/** Resolves when host:port answers with an SSH banner, or rejects after `timeoutMs`. */
export async function waitForSsh(host: string, timeoutMs: number, isAborted: () => boolean = () => false, port = 22): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (isAborted()) throw new LabError('interrupted');
    if (await sshBanner(host, port, 1000)) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new LabError(`${host}: sshd did not answer within ${Math.round(timeoutMs / 1000)} s`, 'look at the node log named in lab.json, or run again with --verbose');
    await sleep(100);
  }
}

/** One attempt: connect and read the `SSH-2.0` banner. */
export function sshBanner(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('error', () => done(false));
    sock.once('data', (d) => done(d.toString('latin1').startsWith('SSH-')));
  });
}

/**
 * Cgroup hierarchies a container's launcher must join: every v1 hierarchy, and the cgroup2
 * "unified" one of a hybrid machine. nspawn takes its own unified path as the container's root;
 * without a private one there, containers share it and their systemds trip over each other.
 */
export function labHierarchies(): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const parts = line.split(' ');
    const sep = parts.indexOf('-');
    if (sep < 0 || (parts[sep + 1] !== 'cgroup' && parts[sep + 1] !== 'cgroup2')) continue;
    const mountPoint = unescapeMount(parts[4]!);
    if (mountPoint.startsWith('/sys/fs/cgroup/')) out.push(mountPoint);
  }
  return [...new Set(out)].sort();
}

/** Mounted cgroup v1 controllers (names), e.g. cpu, memory, pids. */
export function v1Controllers(): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const parts = line.split(' ');
    const sep = parts.indexOf('-');
    if (sep < 0 || parts[sep + 1] !== 'cgroup') continue;
    for (const o of (parts[sep + 3] ?? '').split(',')) if (/^[a-z_]+$/.test(o) && !['rw', 'ro', 'relatime', 'nosuid', 'nodev', 'noexec'].includes(o)) out.push(o);
  }
  return [...new Set(out)].sort();
}

/** True when /sys/fs/cgroup itself is a cgroup2 mount (a v2-only machine, not a hybrid one). */
export function cgroupV2Only(): boolean {
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const parts = line.split(' ');
    const sep = parts.indexOf('-');
    if (sep >= 0 && parts[4] === '/sys/fs/cgroup' && parts[sep + 1] === 'cgroup2') return true;
  }
  return false;
}

/** Mount points at or under `root` (deepest first), from /proc/self/mountinfo. */
export function mountsUnder(root: string): string[] {
  const prefix = root.endsWith('/') ? root : `${root}/`;
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mp = line.split(' ')[4];
    if (!mp) continue;
    const p = unescapeMount(mp);
    if (p === root || p.startsWith(prefix)) out.push(p);
  }
  return out.sort((a, b) => b.length - a.length);
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Unmounts everything at or under `root` (lazily, deepest first). */
export async function unmountUnder(root: string): Promise<string[]> {
  const mounts = mountsUnder(root);
  for (const m of mounts) await execa('umount', ['-l', m], { reject: false });
  return mounts;
}

/** Removes a cgroup directory and its children, deepest first. Returns false if a directory stayed. */
export async function removeCgroupTree(dir: string): Promise<boolean> {
  if (!existsSync(dir)) return true;
  const dirs: string[] = [];
  const walk = (d: string) => {
    let entries: import('node:fs').Dirent[] = [];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) walk(join(d, e.name));
    dirs.push(d);
  };
  walk(dir);
  let ok = true;
  for (const d of dirs) {
    for (let attempt = 0; ; attempt++) {
      try {
        await rmdir(d);
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        // EBUSY right after the last task exits is normal; the kernel frees the cgroup shortly.
        if (attempt < 40) {
          await sleep(50);
          continue;
        }
        ok = false;
        break;
      }
    }
  }
  return ok;
}

/**
 * Kills every process in the given cgroup trees, and keeps killing until they are empty (a
 * container's systemd may fork while we list). Uses cgroup v2's atomic `cgroup.kill` where the
 * kernel has it. Only for trees that belong to the lab. Returns how many PIDs were signalled.
 */
export async function killCgroupTrees(dirs: readonly string[], extra: () => number[] = () => [], timeoutMs = 5000): Promise<number> {
  for (const d of dirs) {
    if (existsSync(join(d, 'cgroup.kill'))) {
      try {
        await writeFile(join(d, 'cgroup.kill'), '1');
      } catch {
        /* older kernel or gone */
      }
    }
  }
  const seen = new Set<number>();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = [...new Set([...dirs.flatMap((d) => pidsInCgroupTree(d)), ...extra()])].filter(pidAlive);
    if (!pids.length || Date.now() > deadline) break;
    for (const p of pids) {
      seen.add(p);
      signal(p, 'SIGKILL');
    }
    await sleep(30);
  }
  return seen.size;
}

/** All PIDs in a cgroup tree (reads cgroup.procs recursively). */
export function pidsInCgroupTree(dir: string): number[] {
  const out: number[] = [];
  const walk = (d: string) => {
    try {
      for (const l of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (l.trim()) out.push(Number(l));
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
    } catch {
      /* gone */
    }
  };
  walk(dir);
  return [...new Set(out)];
}

export async function removePath(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}

/** Current network namespaces (names under /run/netns). */
export function listNetns(): string[] {
  try {
    return readdirSync('/run/netns');
  } catch {
    return [];
  }
}

/** Current link names in the root namespace. */
export function listLinks(): string[] {
  try {
    return readdirSync('/sys/class/net');
  } catch {
    return [];
  }
}

/**
 * This machine's IPv4 routes (every table) and addresses, for the slot claim to stay clear of
 * (slot-conflicts.ts). An `ip` that cannot answer (missing, no -j) reports none.
 */
export async function machineNetworks(): Promise<MachineNetwork[]> {
  const [routes, addrs] = await Promise.all([
    execa('ip', ['-4', '-j', 'route', 'show', 'table', 'all'], { reject: false }),
    execa('ip', ['-4', '-j', 'addr'], { reject: false }),
  ]);
  return [...routeNetworks(routes.stdout ?? ''), ...addressNetworks(addrs.stdout ?? '')];
}

/**
 * Starts a long-lived lab process: its own session (Ctrl-C in the terminal does not reach it,
 * `down` ends it by PID), output appended to `log`, not killed when this command exits.
 */
export function spawnDetached(file: string, args: readonly string[], log: string, mode: 'w' | 'a' = 'w'): number | undefined {
  const fd = openSync(log, mode);
  try {
    // execa's types only list fds 3-9; any open descriptor works at runtime.
    const out = fd as unknown as 3;
    const child = execa(file, args, { detached: true, cleanup: false, stdin: 'ignore', stdout: out, stderr: out, reject: false });
    child.unref();
    child.catch(() => {});
    return child.pid;
  } finally {
    closeSync(fd);
  }
}
