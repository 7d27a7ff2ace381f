import { PlanningError } from '../errors/index.js';

/** libvirt's QEMU driver configuration, where the user QEMU runs as and its confinement are set. */
export const QEMU_CONF = '/etc/libvirt/qemu.conf';

/** The settings read from it: every uncommented line that sets one (the file is root's, read in the sandbox's probe). */
const SETTINGS = ['user', 'security_driver', 'security_default_confined', 'seccomp_sandbox'] as const;
type QemuConfSetting = (typeof SETTINGS)[number];

/**
 * Shell printing qemu.conf's lines that set one of SETTINGS, without their indentation; a list that
 * spans lines (`security_driver = [ "selinux",` then `"none" ]`) goes on to its `]`, each further
 * line printed after a space. Nothing where the file is not there (libvirt not installed yet). One
 * `sed`: a shell `while read` costs dash a system call per byte, about 20 ms on Debian's 58 KB
 * file, in every hypervisor node's plan.
 */
export const QEMU_CONF_PROBE = [
  `f=${QEMU_CONF}; if [ -r "$f" ]; then LC_ALL=C sed -n`,
  // A setting's line, unindented; where it opens a list (comments aside: no value of these settings holds a #) and does not close it, the lines to its `]`.
  `-e '/^[[:space:]]*\\(${SETTINGS.join('\\|')}\\)[[:space:]]*=/{' -e 's/^[[:space:]]*//' -e 'p' -e 's/#.*//' -e '/\\[/{' -e '/\\]/b' -e ':more' -e 'n' -e 's/^/ /' -e 'p' -e 's/#.*//' -e '/\\]/b' -e 'b more' -e '}' -e '}' "$f"; fi`,
].join(' ');

/** A line of libvirt's conf syntax without its comment: `#` to the end of the line, where it is outside a quoted string. */
function withoutComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) quote = c === quote ? undefined : quote;
    else if (c === '"' || c === "'") quote = c;
    else if (c === '#') return line.slice(0, i);
  }
  return line;
}

/** Each setting's values, in the file's order: `user = "root"` is `root`, `security_driver = [ "selinux", "none" ]` is both. */
function parseQemuConf(lines: string): Map<QemuConfSetting, string[]> {
  const conf = new Map<QemuConfSetting, string[]>();
  // A line that starts with a space goes on with the setting before it (QEMU_CONF_PROBE).
  const settings: string[] = [];
  for (const line of lines.split('\n')) {
    if (/^\s/.test(line) && settings.length) settings[settings.length - 1] += ` ${withoutComment(line)}`;
    else settings.push(withoutComment(line));
  }
  for (const setting of settings) {
    const m = /^\s*(\w+)\s*=\s*(.*)$/.exec(setting);
    const name = SETTINGS.find((s) => s === m?.[1]);
    if (!m || !name) continue;
    // libvirt's strings take either quote.
    const quoted = [...m[2]!.matchAll(/"([^"]*)"|'([^']*)'/g)].map((q) => q[1] ?? q[2]!);
    const values = quoted.length ? quoted : [m[2]!.trim()];
    conf.set(name, [...(conf.get(name) ?? []), ...values]);
  }
  return conf;
}

/** A setting that undoes QEMU's confinement, as the plan names it, and what it means. */
const UNCONFINED: Array<{ setting: QemuConfSetting; refuses: (value: string) => boolean; means: string }> = [
  // A number is a uid (`+0` forces that reading; libvirt also takes a bare `0` as uid 0).
  { setting: 'user', refuses: (v) => ['root', '0', '+0'].includes(v), means: "QEMU would run as root, so a guest that breaks out of QEMU owns the node" },
  { setting: 'security_driver', refuses: (v) => v === 'none', means: 'QEMU would run without AppArmor or SELinux confinement' },
  { setting: 'security_default_confined', refuses: (v) => v === '0', means: 'a VM that names no security label would run unconfined' },
  // 0 turns the filter off; 1, and -1 or unset (on by libvirt's rule wherever QEMU is 2.11 or later, as on Debian 12), keep it.
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
