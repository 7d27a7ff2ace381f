import { PlanningError } from '../errors/index.js';

/** libvirt's QEMU driver configuration, where the user QEMU runs as and its confinement are set. */
export const QEMU_CONF = '/etc/libvirt/qemu.conf';

/** The settings read from it: every uncommented line that sets one (the file is root's, read in the sandbox's probe). */
const SETTINGS = ['user', 'security_driver', 'seccomp_sandbox'] as const;
type QemuConfSetting = (typeof SETTINGS)[number];

/** Shell printing qemu.conf's lines that set those settings; nothing where the file is not there (libvirt not installed yet). */
export const QEMU_CONF_PROBE = `grep -E '^[[:space:]]*(${SETTINGS.join('|')})[[:space:]]*=' ${QEMU_CONF} 2>/dev/null || true`;

/** Each setting's values, in the file's order: `user = "root"` is `root`, `security_driver = [ "selinux", "none" ]` is both. */
export function parseQemuConf(lines: string): Map<QemuConfSetting, string[]> {
  const conf = new Map<QemuConfSetting, string[]>();
  for (const line of lines.split('\n')) {
    const m = /^\s*(\w+)\s*=\s*(.*)$/.exec(line);
    const name = SETTINGS.find((s) => s === m?.[1]);
    if (!m || !name) continue;
    const quoted = [...m[2]!.matchAll(/"([^"]*)"/g)].map((q) => q[1]!);
    const values = quoted.length ? quoted : [m[2]!.replace(/#.*/, '').trim()];
    conf.set(name, [...(conf.get(name) ?? []), ...values]);
  }
  return conf;
}

/** A setting that undoes QEMU's confinement, as the plan names it, and what it means. */
const UNCONFINED: Array<{ setting: QemuConfSetting; refuses: (value: string) => boolean; means: string }> = [
  { setting: 'user', refuses: (v) => v === 'root' || v === '+0', means: "QEMU would run as root, so a guest that breaks out of QEMU owns the node" },
  { setting: 'security_driver', refuses: (v) => v === 'none', means: 'QEMU would run without AppArmor or SELinux confinement' },
  { setting: 'seccomp_sandbox', refuses: (v) => v === '0', means: "QEMU would run without its seccomp filter of system calls" },
];

/**
 * Refuses to plan a sandbox VM on a node whose libvirt runs QEMU unconfined: the VM is where remote
 * users' work runs, and every definition gridops writes assumes libvirt's confinement (Debian's
 * defaults: user libvirt-qemu, AppArmor where the kernel has it, else DAC, seccomp on). No topology
 * setting allows it; the node's qemu.conf has to change.
 */
export function checkQemuConf(lines: string, node: string): void {
  const conf = parseQemuConf(lines);
  for (const { setting, refuses, means } of UNCONFINED) {
    const value = (conf.get(setting) ?? []).find(refuses);
    if (value === undefined) continue;
    throw new PlanningError(
      `${node}: ${QEMU_CONF} sets ${setting} = "${value}": ${means}, and the sandbox VM is remote users' work`,
      `remove or comment out that line of ${QEMU_CONF} on ${node} (Debian's default is right), run systemctl restart libvirtd there, then plan again (a VM already running unconfined is then planned for a restart)`,
    );
  }
}
