import { PlanningError } from '../errors/index.js';

/**
 * A shell test that libvirt's daemon is installed: on PATH, or in /usr/sbin (not on a plain user's
 * PATH). virtqemud is the modular daemon of distributions that ship it in libvirtd's place.
 */
const DAEMON_INSTALLED = ['libvirtd', 'virtqemud'].map((d) => `command -v ${d} >/dev/null 2>&1 || [ -x /usr/sbin/${d} ]`).join(' || ');

/**
 * How a libvirt resource's probe reads the host. Before libvirt is installed (no virsh, or no daemon
 * yet: a first apply installs the packages in the same run) it runs `beforeLibvirt`, by default
 * printing `no-libvirt`, which the resources read as absent. Else `body`, whose reads say `absent`
 * only where libvirt answers (readOrAbsent, domainOrAbsent in virsh.ts): installed but not answering
 * (its sockets stopped, access denied, a broken daemon) they print `unknown (libvirt not answering:
 * WHY)`, which diff turns into a plan error (refuseUnreadLibvirt). Read as absent, such a host was
 * planned to define and start objects libvirt may well have (a define over the running sandbox past
 * --replace-sandbox, a `net-start` failing "already active").
 */
export function probeLibvirt(body: string, beforeLibvirt = 'echo no-libvirt'): string {
  return `if ! command -v virsh >/dev/null 2>&1 || ! { ${DAEMON_INSTALLED}; }; then\n${beforeLibvirt}\nelse\n${body}\nfi`;
}

/**
 * Throws the host's plan error where `section` (the probe's output, or its section that reads
 * libvirt first) is the `unknown (WHY)` of probeLibvirt or domainOrAbsent. The one wording for every
 * libvirt resource, as Terraform's libvirt provider fails its refresh: the plan cannot tell what
 * libvirt has.
 */
export function refuseUnreadLibvirt(section: string, node: string): void {
  const why = /^unknown \((.*)\)$/s.exec(section.trim())?.[1];
  if (why === undefined) return;
  throw new PlanningError(
    `${node}: cannot read libvirt: ${why}`,
    'start it (systemctl start libvirtd.socket libvirtd.service), or fix what virsh says (virsh -c qemu:///system list --all), then plan again: until libvirt answers, the plan cannot tell which of the grid network, pool, volumes and sandbox VM are there',
  );
}
