import { PlanningError } from '../errors/index.js';
import type { HostFacts } from '../facts/host-facts.js';

/** The schema's cpuShares range is cgroup v1's cpu.shares (2 to 262144); cgroup v2's cpu.weight, which libvirt writes there, stops at 10000. */
const CGROUP_V2_MAX_SHARES = 10_000;
const MIN_SHARES = 2;

/**
 * A plan error when the node's cgroups cannot take the sandbox's cpuShares. libvirt checks the
 * value only at `virsh start` or `schedinfo` ("shares 'N' must be in range [1, 10000]"), after the
 * definition is in place, which would leave a half-made sandbox. Hybrid hosts keep the cpu
 * controller on v1, so they take the v1 range.
 */
export function checkCpuShares(shares: number, facts: HostFacts, nodeName: string): void {
  if (facts.cgroup !== 'v2' || shares <= CGROUP_V2_MAX_SHARES) return;
  throw new PlanningError(
    `${nodeName}: hypervisor.sandbox.cpuShares is ${shares}, but ${nodeName} has cgroup v2, where it must be ${MIN_SHARES} to ${CGROUP_V2_MAX_SHARES}`,
    `set hypervisor.sandbox.cpuShares to ${CGROUP_V2_MAX_SHARES} or less for ${nodeName} (only cgroup v1 hosts take up to 262144)`,
  );
}
