import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LabError } from '../errors/index.js';
import { cmdline, killCgroupTrees, labHierarchies, pidAlive, pidsInNetns, removeCgroupTree, spawnDetached, terminate } from './sys.js';
import type { NodeState } from './types.js';

/**
 * Container nodes: systemd-nspawn with systemd as PID 1 and a real sshd, in the node's own
 * network namespace, over a shared cached rootfs (each node writes to its own overlay upper).
 */

/**
 * Moves itself into every cgroup directory given before `--`, then execs the rest. The script is
 * constant; all values arrive as arguments, so nothing is interpolated into shell text.
 */
const CGROUP_LAUNCHER = 'while [ "$1" != -- ]; do echo $$ > "$1/cgroup.procs" || exit 97; shift; done; shift; exec "$@"';

export const CONTAINER_CAPABILITIES = ['CAP_NET_ADMIN', 'CAP_SYS_RESOURCE', 'CAP_IPC_LOCK'];

/** The node's cgroup in every mounted v1 hierarchy (root level, so the lab outlives the command that started it). */
export function containerCgroupDirs(cgroup: string): string[] {
  return labHierarchies().map((h) => join(h, cgroup));
}

async function makeCgroups(dirs: string[]): Promise<void> {
  for (const d of dirs) {
    await mkdir(d, { recursive: true });
    // cpuset refuses tasks until cpus and mems are set (v1 does not inherit them).
    if (d.includes('/cpuset/') || d.includes('cpuset,') || d.includes(',cpuset')) {
      const parent = join(d, '..');
      for (const f of ['cpuset.cpus', 'cpuset.mems']) {
        if (existsSync(join(d, f)) && !readFileSync(join(d, f), 'utf8').trim()) await writeFile(join(d, f), readFileSync(join(parent, f), 'utf8'));
      }
    }
  }
}

/** nspawn's machine name for a node: prefixed, unique across labs. */
export function machineName(node: NodeState): string {
  return node.netns;
}

export function nspawnArgs(node: NodeState, rootfs: string, upper: string): string[] {
  return [
    '--quiet',
    '--register=no',
    '--keep-unit',
    // The machine name carries the lab prefix: nspawn keeps per-machine state on the host
    // (/run/systemd/nspawn/propagate/NAME), and two labs both have a node-01.
    `--machine=${machineName(node)}`,
    `--hostname=${node.name}`,
    // Without --boot, nspawn's default on SIGTERM is SIGKILL; ask systemd for an orderly shutdown.
    '--kill-signal=SIGRTMIN+3',
    `--directory=${rootfs}`,
    `--overlay=+/:${upper}:/`,
    `--network-namespace-path=/run/netns/${node.netns}`,
    `--capability=${CONTAINER_CAPABILITIES.join(',')}`,
    '--bind=/dev/net/tun',
    '--resolv-conf=off',
    '--timezone=off',
    '--link-journal=no',
    '/usr/local/sbin/gridops-lab-init',
  ];
}

/** Starts one container, detached from the command (its own session), in its own cgroups. Returns its PID (nspawn's). */
export async function startContainer(node: NodeState, rootfs: string): Promise<number> {
  const upper = join(node.dir, 'upper');
  const dirs = containerCgroupDirs(node.cgroup);
  await makeCgroups(dirs);
  node.cgroupDirs = dirs;
  const log = join(node.dir, 'console.log');
  const pid = spawnDetached('sh', ['-c', CGROUP_LAUNCHER, 'gridops-lab-launch', ...dirs, '--', 'systemd-nspawn', ...nspawnArgs(node, rootfs, upper)], log);
  if (!pid) throw new LabError(`${node.name}: systemd-nspawn did not start`, `see ${log}`);
  node.pid = pid;
  node.log = log;
  return pid;
}

/** True when the recorded PID is still this node's nspawn. */
export function containerAlive(node: NodeState): boolean {
  return pidAlive(node.pid) && cmdline(node.pid!).includes(`--machine=${machineName(node)} `) && cmdline(node.pid!).includes(node.netns);
}

/**
 * Stops a container: SIGTERM to nspawn (an orderly shutdown of the guest's systemd), then
 * SIGKILL to whatever is still in the node's cgroups or namespace, then removes its cgroups.
 */
export async function stopContainer(node: NodeState, graceMs = 8000): Promise<{ killed: number; cgroupsLeft: string[] }> {
  const dirs = node.cgroupDirs?.length ? node.cgroupDirs : containerCgroupDirs(node.cgroup);
  let killed = 0;
  if (containerAlive(node)) {
    killed++;
    await terminate([node.pid!], graceMs);
  }
  // Whatever outlived nspawn (or a container whose nspawn was killed) is in its cgroups or netns.
  killed += await killCgroupTrees(dirs, () => pidsInNetns(node.netns));
  // nspawn removes its per-machine directory when it exits; not when it was killed.
  await rm(join('/run/systemd/nspawn/propagate', machineName(node)), { recursive: true, force: true });
  const cgroupsLeft: string[] = [];
  for (const d of dirs) if (!(await removeCgroupTree(d))) cgroupsLeft.push(d);
  return { killed, cgroupsLeft };
}
