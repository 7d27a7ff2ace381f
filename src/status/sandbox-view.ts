import { DOMAIN_DEFINITION } from '../resources/libvirt-definitions.js';
import { SANDBOX_DOMAIN } from '../resources/sandbox-names.js';
import { domainOrAbsent, parseInfo, virsh, whenVirsh } from '../resources/virsh.js';

/** A node's sandbox VM as `status` shows it. */
export interface SandboxView {
  /** libvirt's state (`running`, `shut off`, …), `absent` when not defined, `no-libvirt` before the hypervisor playbook ran, `unknown (WHY)` when virsh could not say. */
  state: string;
  type?: 'kvm' | 'qemu';
  vcpus?: number;
  memoryMiB?: number;
}

/**
 * One remote command: the domain's info and the first line of its XML (which names the domain type).
 * `absent` when libvirt answers that it has no such domain ("Domain not found", or virsh 9.0's bare
 * "failed to get domain", which it prints for any failed lookup, only without the VM's definition
 * on disk), or does not answer and has no definition of it on disk (nothing there to run: libvirtd
 * disabled before the first apply). A virsh that fails otherwise (libvirtd stopped with the VM
 * defined, permission denied, that bare line with the definition there) says
 * `unknown (WHY)`, with virsh's last line, since an `absent` there would send the operator to apply
 * for a VM that may well be running. The plan's probe of the domain reads libvirt with the same
 * function (domainOrAbsent, virsh.ts), so the two never disagree on whether the VM is there.
 */
export const SANDBOX_STATUS_SCRIPT = whenVirsh(
  [domainOrAbsent(virsh('dominfo', SANDBOX_DOMAIN), 'info', DOMAIN_DEFINITION), `${virsh('dumpxml', SANDBOX_DOMAIN)} 2>/dev/null | head -n 1`].join('\n'),
);

/** Pure: the script's output -> the view. */
export function parseSandboxView(stdout: string): SandboxView {
  const first = stdout.trim().split('\n')[0]?.trim() ?? '';
  if (first === 'no-libvirt' || first === 'absent' || first === '') return { state: first || 'unknown' };
  // The script's own `unknown (WHY)`: WHY may hold a colon, which is no `KEY: value` line of dominfo.
  if (first.startsWith('unknown')) return { state: first };
  const info = parseInfo(stdout);
  const type = /<domain type=['"](kvm|qemu)['"]/.exec(stdout)?.[1] as SandboxView['type'] | undefined;
  const vcpus = Number.parseInt(info.get('cpu(s)') ?? '', 10);
  const mem = /^(\d+) KiB$/.exec(info.get('max memory') ?? '');
  return { state: info.get('state') ?? 'unknown', ...(type ? { type } : {}), ...(Number.isFinite(vcpus) ? { vcpus } : {}), ...(mem ? { memoryMiB: Math.round(Number(mem[1]) / 1024) } : {}) };
}

/** `running qemu 1 vCPU 128 MiB`, for the status table. */
export function describeSandbox(view: SandboxView | undefined): string {
  if (!view) return '-';
  if (view.vcpus === undefined) return view.state;
  return `${view.state} ${view.type ?? '?'} ${view.vcpus} vCPU ${view.memoryMiB ?? '?'} MiB`;
}
