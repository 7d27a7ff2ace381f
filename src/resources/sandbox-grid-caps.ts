import { PlanningError } from '../errors/index.js';
import type { HostFacts } from '../facts/host-facts.js';
import { plural } from '../plural.js';

/**
 * Plan errors for a sandbox VM that grid.slice, where it runs (SANDBOX_PARTITION), cannot hold as
 * written, found before anything is defined: libvirt would accept each of them and the VM would
 * start, then be throttled past use or OOM-killed.
 * - Without systemd, libvirt places the VM in a cgroup directory of its own naming, not in a
 *   slice, so no grid limit reaches it.
 * - More vCPUs than the node's CPUs: qos.gridCpuPercent counts the node's CPUs, and a vCPU beyond
 *   them only waits for one.
 * - A hard limit (memory plus QEMU's own) above qos.gridMemoryMiB: grid.slice's MemoryMax is
 *   reached first and the kernel kills QEMU, with every remote user's work in it. hostReserveMiB
 *   is the other bound (what the host keeps; sandbox-domain checks it): the VM must fit both.
 */
export function checkGridCaps(spec: { vcpus: number; memoryMiB: number; gridMemoryMiB?: number }, hardLimitMiB: number, facts: HostFacts, node: string): void {
  if (facts.initSystem !== 'systemd') {
    throw new PlanningError(`${node}: the sandbox VM runs in grid.slice, a systemd slice, but ${node}'s init is ${facts.initSystem}`, `run the hypervisor on nodes with systemd, or set hypervisor.enabled: false for ${node}`);
  }
  const cores = facts.cpu.cores;
  if (cores > 0 && spec.vcpus > cores) {
    throw new PlanningError(`${node}: hypervisor.sandbox.vcpus is ${spec.vcpus}, but ${node} has ${plural(cores, 'CPU')}`, `set hypervisor.sandbox.vcpus to ${cores} or less for ${node}: its CPU share for grid work (qos.gridCpuPercent) counts the node's CPUs, and a vCPU beyond them only waits for one`);
  }
  if (spec.gridMemoryMiB !== undefined && hardLimitMiB > spec.gridMemoryMiB) {
    throw new PlanningError(
      `${node}: the sandbox VM runs in grid.slice and needs ${hardLimitMiB} MiB (${spec.memoryMiB} MiB of memory plus QEMU's own), but qos.gridMemoryMiB is ${spec.gridMemoryMiB}`,
      `set qos.gridMemoryMiB to ${hardLimitMiB} or more for ${node}, or lower hypervisor.sandbox.memoryMiB (or vcpus): grid.slice's MemoryMax would kill QEMU before the VM reached its own limit`,
    );
  }
}
