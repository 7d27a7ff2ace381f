import { namedFew } from '../named-few.js';
import type { SwapPastMemoryCap } from './plan.js';

/**
 * The plan's lines for grid work that may swap past its memory cap, one per reason, hosts
 * compressed (namedFew), each with what enforces the cap. Debian 11 and later (systemd 247+) boot
 * on the unified hierarchy unless told `systemd.unified_cgroup_hierarchy=0`; kernels before 5.8
 * (Debian 10's 4.19) account swap only when booted with `swapaccount=1`, later ones unless told 0.
 */
export function swapPastMemoryCapLines(swap: SwapPastMemoryCap): string[] {
  const lines: string[] = [];
  const start = (hosts: string[]) => `QoS: grid work on ${namedFew(hosts)} may swap past its memory cap (qos.gridMemoryMiB): `;
  const one = (hosts: string[]) => hosts.length === 1;
  if (swap.cgroupV1.length) {
    const hosts = swap.cgroupV1;
    lines.push(
      `${start(hosts)}${one(hosts) ? 'its' : 'their'} memory controller is on cgroup v1, where systemd ignores grid.slice's MemorySwapMax=0; ` +
        `boot ${one(hosts) ? 'it' : 'them'} with systemd.unified_cgroup_hierarchy=1 on the kernel command line (the default since Debian 11: remove a systemd.unified_cgroup_hierarchy=0 from GRUB_CMDLINE_LINUX in /etc/default/grub, run update-grub, reboot) to enforce it.`,
    );
  }
  if (swap.noSwapAccounting.length) {
    const hosts = swap.noSwapAccounting;
    lines.push(`${start(hosts)}${one(hosts) ? 'its kernel does' : 'their kernels do'} not account swap (no memory.swap.max), so systemd cannot set grid.slice's MemorySwapMax=0; boot ${one(hosts) ? 'it' : 'them'} with swapaccount=1 on the kernel command line to enforce it.`);
  }
  return lines;
}
