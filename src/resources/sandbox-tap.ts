import { quote } from '../transport/quote.js';
import { SANDBOX_TAP } from './sandbox-names.js';
import type { Tool } from './tool-packages.js';

/**
 * The sandbox's NIC on its grid network's bridge. A restart of the network (net-destroy, then
 * net-start) deletes the bridge and makes a new one of the same name, and libvirt does not put a
 * running VM's tap on the new one (only a restart of libvirtd reconnects taps): the VM keeps
 * running cut off, no DHCP, no node, while neither definition changed. So the network's restart
 * and start put the tap back, and the sandbox-domain resource reads which bridge the tap is on and
 * plans the same where anything else left it off.
 *
 * Put back with `ip link set dev TAP master BRIDGE`, the kernel's own enslaving, what libvirt
 * itself does when it plugs the tap at the VM's start and at a reconnect. Not:
 * - a restart of libvirtd, which reconnects through libvirt's own records but in its reconnect
 *   threads, after systemctl has returned (a plan right after could still read the tap off), and
 *   restarts the daemon every virsh call of the node depends on;
 * - `virsh domif-setlink`, which sets only the link state QEMU shows the guest: the host side
 *   stays off the bridge;
 * - detaching and attaching the interface, which makes a new tap: the guest sees its NIC
 *   unplugged and plugged, and the egress limit, which libvirt's hook puts on the tap only when
 *   the VM starts, would not be on the new one.
 * The same tap keeps what is on it: the redirect to the egress ifb, the clean-traffic nwfilter.
 */

const TAP_DIR = `/sys/class/net/${SANDBOX_TAP}`;

/** What puts the tap on its bridge: installed with the change where the node lacks it (tool-packages.ts). */
export const TAP_TOOLS: readonly Tool[] = ['ip'];

/**
 * A probe section: the bridge the tap is on (`gs-grid-net`), `(none)` when it is on no bridge,
 * nothing when there is no tap (the VM is not running). Read with `ip link`, which sees this
 * network namespace's devices; /sys only where ip is missing (as sandbox-egress reads the tap): a
 * sysfs mounted from another namespace (a container's) shows that one's. There the sysfs link to
 * the bridge, `../gs-grid-net`.
 */
export const TAP_BRIDGE_PROBE = [
  `if command -v ip >/dev/null 2>&1; then ip -o link show dev ${quote(SANDBOX_TAP)} 2>/dev/null | { if read -r l; then case "$l" in *' master '*) m=\${l#* master }; echo "\${m%% *}" ;; *) echo '(none)' ;; esac; fi; }`,
  `elif [ -e ${quote(TAP_DIR)} ]; then if [ -e ${quote(`${TAP_DIR}/master`)} ]; then readlink ${quote(`${TAP_DIR}/master`)}; else echo '(none)'; fi; fi`,
].join('\n');

/** The bridge TAP_BRIDGE_PROBE read: its name, `(none)`, or undefined where there is no tap. */
export function tapBridge(section: string): string | undefined {
  const line = section.trim();
  if (line === '') return undefined;
  return line === '(none)' ? line : line.split('/').pop();
}

/** Puts the tap on `bridge` (from no bridge or another): the sandbox-domain resource's step, on a tap it read. */
export function attachTap(bridge: string): string {
  return `ip link set dev ${quote(SANDBOX_TAP)} master ${quote(bridge)}`;
}

/**
 * After the network's (re)start: puts a tap that is on no bridge, the one the restart took off, on
 * `bridge`. Where there is no tap (no VM running) nothing; a tap on another bridge is left where it is.
 */
export function reattachDetachedTap(bridge: string): string {
  const tap = quote(SANDBOX_TAP);
  return `if l=$(ip -o link show dev ${tap} 2>/dev/null) && [ -n "$l" ]; then case "$l" in *' master '*) ;; *) ${attachTap(bridge)} ;; esac; fi`;
}
