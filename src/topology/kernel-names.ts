/**
 * The spellings the kernel reads as one name. Topology validation and resolution compare by them,
 * and the resources that write the files name them by them, so a check and a write never disagree.
 */

/** A module's name as modprobe reads it: `-` and `_` are the same character (kvm-intel is kvm_intel). */
export const moduleKey = (name: string) => name.replace(/-/g, '_');

/** A sysctl key as the sysctl.d file gridops persists it in names it: `net/ipv4/ip_forward` is `net.ipv4.ip_forward`. */
export const sysctlFileKey = (key: string) => key.replace(/\//g, '.');

/**
 * The sysctl.d file gridops persists `key` in, here so the topology's checks name the file the
 * sysctl resource writes. systemd-sysctl and `sysctl --system` apply the files in name order and
 * the last one wins; Debian ships /etc/sysctl.d/99-sysctl.conf (a link to /etc/sysctl.conf), so
 * ours must sort after it or a key also set there is reverted at each boot.
 */
export const sysctlFile = (key: string) => `/etc/sysctl.d/99-zz-gridops-${sysctlFileKey(key)}.conf`;
