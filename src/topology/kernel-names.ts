/**
 * The spellings the kernel reads as one name. Topology validation and resolution compare by them,
 * and the resources that write the files name them by them, so a check and a write never disagree.
 */

/** A module's name as modprobe reads it: `-` and `_` are the same character (kvm-intel is kvm_intel). */
export const moduleKey = (name: string) => name.replace(/-/g, '_');

/** A sysctl key as the sysctl.d file gridops persists it in names it: `net/ipv4/ip_forward` is `net.ipv4.ip_forward`. */
export const sysctlFileKey = (key: string) => key.replace(/\//g, '.');
