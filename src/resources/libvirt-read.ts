import { PlanningError } from '../errors/index.js';
import { INPUT_FILTER_FAILED, NOT_ANSWERING, SANDBOX_INPUT_UNIT } from './virsh.js';

/**
 * A shell test that libvirt's daemon is installed: on PATH, or in /usr/sbin (not on a plain user's
 * PATH). virtqemud is the modular daemon of distributions that ship it in libvirtd's place.
 */
const DAEMON_INSTALLED = ['libvirtd', 'virtqemud'].map((d) => `command -v ${d} >/dev/null 2>&1 || [ -x /usr/sbin/${d} ]`).join(' || ');

/**
 * How a libvirt resource's probe reads the host. Before libvirt is installed (no virsh, or no daemon
 * yet: a first apply installs the packages in the same run) it runs `beforeLibvirt`, by default
 * printing `no-libvirt`, which the resources read as absent. Else `body`, whose reads say `absent`
 * only where libvirt answers that it has no such object (objectOrAbsent in virsh.ts) or has no definition of the
 * object on disk: installed but not answering (its sockets stopped, access denied, a broken daemon,
 * the input filter it requires failed) with the object's definition there, they print `unknown
 * (libvirt not answering: WHY)`, which diff turns into a plan error (refuseUnreadLibvirt). Read as
 * absent, such a host was planned to define and start objects libvirt may well have (a define over
 * the running sandbox past --replace-sandbox, a `net-start` failing "already active").
 * Each resource asks after its own definition rather than all of gridops' at once: any one refusal
 * already makes the host's plan an error, and the network resource alone knows the network's name.
 */
export function probeLibvirt(body: string, beforeLibvirt = 'echo no-libvirt'): string {
  return `if ! command -v virsh >/dev/null 2>&1 || ! { ${DAEMON_INSTALLED}; }; then\n${beforeLibvirt}\nelse\n${body}\nfi`;
}

/**
 * Throws the host's plan error where `section` (the probe's output, or its section that reads
 * libvirt first) is the `unknown (WHY)` of probeLibvirt or objectOrAbsent. The one wording for every
 * libvirt resource, as Terraform's libvirt provider fails its refresh: the plan cannot tell what
 * libvirt has.
 */
export function refuseUnreadLibvirt(section: string, node: string): void {
  const why = /^unknown \((.*)\)$/s.exec(section.trim())?.[1];
  if (why === undefined) return;
  const filterFailed = `${NOT_ANSWERING}, ${INPUT_FILTER_FAILED}: `;
  if (why.startsWith(filterFailed)) {
    // Starting libvirtd (or its sockets, which pull the failed requirement in again) fails with "dependency job failed".
    throw new PlanningError(
      `${node}: cannot read libvirt: libvirtd cannot start: the sandbox input filter unit it requires (${SANDBOX_INPUT_UNIT}) failed; virsh: ${why.slice(filterFailed.length)}`,
      `see why the filter failed (journalctl -u ${SANDBOX_INPUT_UNIT}) and check its rules (nft -c -f /etc/gridops/sandbox-input.nft); once systemctl restart ${SANDBOX_INPUT_UNIT} succeeds, libvirtd can start: plan again then. libvirtd requires the filter (fail closed), so the sandbox VM never runs unfiltered; until libvirt answers, the plan cannot tell which of the grid network, pool, volumes and sandbox VM are there`,
    );
  }
  throw new PlanningError(
    `${node}: cannot read libvirt: ${why}`,
    'start it (systemctl start libvirtd.socket libvirtd.service), or fix what virsh says (virsh -c qemu:///system list --all), then plan again: until libvirt answers, the plan cannot tell which of the grid network, pool, volumes and sandbox VM are there',
  );
}
