import { PlanningError } from '../errors/index.js';
import type { HostFacts } from '../facts/host-facts.js';
import type { Node } from '../topology/model.js';

/**
 * The limits grid.slice is written with (qos.cpuQuotaPercent, qos.memoryMax), refused where the
 * node cannot enforce them: systemd accepts CPUQuota= and MemoryMax= without the cgroup controller
 * behind them and ignores them, so the plan would show nothing to change while grid work ran
 * unlimited. Facts from an older gridops, without cgroupControllers, are taken as they were.
 */

/** The hint for a missing controller: enable it at boot, or have the host delegate it. */
function enableHint(controller: 'cpu' | 'memory', setting: string, node: string): string {
  return `enable the ${controller} controller on ${node}: remove cgroup_disable=${controller} from the kernel command line (a Raspberry Pi: add cgroup_enable=${controller}${controller === 'memory' ? ' cgroup_memory=1' : ''} to cmdline.txt) and reboot, or in a container have the host delegate it; or remove ${setting} for this node`;
}

const lacks = (facts: HostFacts, controller: string) => facts.cgroupControllers !== undefined && !facts.cgroupControllers.includes(controller);

/** grid.slice's CPUQuota= in percent (systemd counts 100 per CPU): qos.gridCpuPercent of the node's CPUs. */
export function gridCpuQuotaPercent(node: Node, facts: HostFacts): number {
  const percent = node.settings.qos.gridCpuPercent;
  // No count read (cores 0) would write CPUQuota=0%, which systemd ignores: no limit at all.
  if (!(facts.cpu.cores >= 1)) {
    throw new PlanningError(`${node.name}: qos.gridCpuPercent needs the node's CPU count for grid.slice's CPUQuota, and it could not be read (neither /proc/self/status' Cpus_allowed_list nor nproc answered)`, `check /proc on ${node.name} is mounted and readable, and that nproc (coreutils) is installed`);
  }
  // 100% of every CPU is no limit, which needs no controller.
  if (percent < 100 && lacks(facts, 'cpu')) {
    throw new PlanningError(`${node.name}: qos.gridCpuPercent (${percent}%) limits grid.slice's CPU, but ${node.name} has no cgroup cpu controller, so systemd would ignore CPUQuota=`, enableHint('cpu', 'qos.gridCpuPercent (or set it to 100)', node.name));
  }
  return percent * facts.cpu.cores;
}

/** grid.slice's MemoryMax=: qos.gridMemoryMiB, or `infinity` without one. */
export function gridMemoryMax(node: Node, facts: HostFacts | undefined): string {
  const mib = node.settings.qos.gridMemoryMiB;
  if (mib === undefined) return 'infinity';
  if (facts && lacks(facts, 'memory')) {
    throw new PlanningError(`${node.name}: qos.gridMemoryMiB (${mib} MiB) limits grid.slice's memory, but ${node.name} has no cgroup memory controller, so systemd would ignore MemoryMax=`, enableHint('memory', 'qos.gridMemoryMiB', node.name));
  }
  return `${mib}M`;
}
