import { PlanningError } from '../errors/index.js';
import { namesRoot } from './root-id.js';

/** libvirt's QEMU driver configuration, where the user QEMU runs as and its confinement are set. */
export const QEMU_CONF = '/etc/libvirt/qemu.conf';

/** The settings read from it: every uncommented line that sets one (the file is root's, read in the sandbox's probe). */
const SETTINGS = ['user', 'group', 'security_driver', 'security_default_confined', 'seccomp_sandbox', 'namespaces', 'cgroup_device_acl'] as const;
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

/**
 * Each setting's values, one list for each line that sets it, in the file's order: `user = "root"`
 * is `[root]`, `security_driver = [ "selinux", "none" ]` is both, `namespaces = []` is none.
 */
function parseQemuConf(lines: string): Map<QemuConfSetting, string[][]> {
  const conf = new Map<QemuConfSetting, string[][]>();
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
    // A list holds only its quoted strings, so `[]` is empty; a scalar may be bare (`seccomp_sandbox = 0`).
    const values = quoted.length || m[2]!.trim().startsWith('[') ? quoted : [m[2]!.trim()];
    conf.set(name, [...(conf.get(name) ?? []), values]);
  }
  return conf;
}

/**
 * libvirt's default cgroup_device_acl (qemu.conf.in), today's and its earlier releases': the devices
 * every VM's QEMU may open, and the ones libvirt's private /dev for QEMU holds besides the VM's own.
 * A node upgraded from an older libvirt may keep that release's list uncommented, so the devices
 * libvirt itself once listed by default pass too: /dev/kqemu (gone with kqemu), /dev/rtc and
 * /dev/hpet (clocks), /dev/sev (AMD SEV's firmware interface, for encrypted guests), and
 * /dev/vfio/vfio. That last is VFIO's container node: opening it reaches no device of the node;
 * a device is passed through by its IOMMU group's node, /dev/vfio/N, which stays refused (libvirt
 * allows a VM's own group when its definition assigns it a hostdev, which sandbox-domain.ts forbids). Any other
 * device of the node named there is one QEMU, and a guest that breaks out of it, could read or write.
 */
const DEFAULT_DEVICE_ACL = [
  '/dev/null', '/dev/full', '/dev/zero', '/dev/random', '/dev/urandom', '/dev/ptmx', '/dev/kvm', '/dev/userfaultfd',
  // Earlier releases' defaults.
  '/dev/kqemu', '/dev/rtc', '/dev/hpet', '/dev/sev', '/dev/vfio/vfio',
];

/** The first value of any line that `refuses`, as the plan shows it (`"root"`), or undefined. */
const anyValue = (refuses: (value: string) => boolean) => (lines: string[][]) => {
  const value = lines.flat().find(refuses);
  return value === undefined ? undefined : `"${value}"`;
};

/**
 * A setting that undoes QEMU's confinement: what of it the plan shows (`"root"`, from the values of
 * each line that sets it), or undefined where it keeps QEMU confined, and what it means.
 */
const UNCONFINED: Array<{ setting: QemuConfSetting; refused: (lines: string[][]) => string | undefined; means: string }> = [
  { setting: 'user', refused: anyValue(namesRoot), means: "QEMU would run as root, so a guest that breaks out of QEMU owns the node" },
  { setting: 'group', refused: anyValue(namesRoot), means: "QEMU would run with root's group, so a guest that breaks out of QEMU reads and writes what that group may on the node" },
  { setting: 'security_driver', refused: anyValue((v) => v === 'none'), means: 'QEMU would run without AppArmor or SELinux confinement' },
  { setting: 'security_default_confined', refused: anyValue((v) => v === '0'), means: 'a VM that names no security label would run unconfined' },
  // 0 turns the filter off; 1, and -1 or unset (on by libvirt's rule wherever QEMU is 2.11 or later, as on Debian 12), keep it.
  { setting: 'seccomp_sandbox', refused: anyValue((v) => v === '0'), means: "QEMU would run without its seccomp filter of system calls" },
  // "mount" is the one namespace libvirt knows: a list without it turns QEMU's private /dev off.
  {
    setting: 'namespaces',
    refused: (lines) => lines.filter((l) => !l.includes('mount')).map((l) => (l.length ? `[ ${l.map((v) => `"${v}"`).join(', ')} ]` : '[]'))[0],
    means: "QEMU would see the node's whole /dev (libvirt's private /dev for QEMU is off), every disk and device of the node",
  },
  {
    setting: 'cgroup_device_acl',
    refused: (lines) => {
      const extra = lines.flat().find((device) => !DEFAULT_DEVICE_ACL.includes(device));
      return extra === undefined ? undefined : `[ ..., "${extra}" ]`;
    },
    means: "QEMU could open a device of the node beyond libvirt's default list, and the sandbox VM has no access to the node's devices",
  },
];

/**
 * Refuses to plan a sandbox VM on a node whose libvirt runs QEMU unconfined: the VM is where remote
 * users' work runs, and every definition gridops writes assumes libvirt's confinement (Debian's
 * defaults: user and group libvirt-qemu, AppArmor where the kernel has it, else DAC, seccomp on, a
 * private /dev for QEMU with libvirt's default devices). No topology setting allows it; the node's
 * qemu.conf has to change.
 */
export function checkQemuConf(lines: string, node: string): void {
  const conf = parseQemuConf(lines);
  for (const { setting, refused, means } of UNCONFINED) {
    const shown = refused(conf.get(setting) ?? []);
    if (shown === undefined) continue;
    throw new PlanningError(
      `${node}: ${QEMU_CONF} sets ${setting} = ${shown}: ${means}, and the sandbox VM is remote users' work`,
      `remove or comment out that line of ${QEMU_CONF} on ${node} (Debian's default is right), run systemctl restart libvirtd there, then plan again (a VM already running unconfined is then planned for a restart)`,
    );
  }
}
