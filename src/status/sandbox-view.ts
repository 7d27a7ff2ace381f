import { SANDBOX_DOMAIN } from '../resources/sandbox-names.js';
import { parseInfo, virsh } from '../resources/virsh.js';

/** A node's sandbox VM as `status` shows it. */
export interface SandboxView {
  /** libvirt's state (`running`, `shut off`, …), `absent` when not defined, `no-libvirt` before the hypervisor playbook ran. */
  state: string;
  type?: 'kvm' | 'qemu';
  vcpus?: number;
  memoryMiB?: number;
}

/** One remote command: the domain's info and the first line of its XML (which names the domain type). */
export const SANDBOX_STATUS_SCRIPT = [
  'if ! command -v virsh >/dev/null 2>&1; then echo no-libvirt; exit 0; fi',
  `${virsh('dominfo', SANDBOX_DOMAIN)} 2>/dev/null || { echo absent; exit 0; }`,
  `${virsh('dumpxml', SANDBOX_DOMAIN)} 2>/dev/null | head -n 1`,
].join('\n');

/** Pure: the script's output -> the view. */
export function parseSandboxView(stdout: string): SandboxView {
  const first = stdout.trim().split('\n')[0]?.trim() ?? '';
  if (first === 'no-libvirt' || first === 'absent' || first === '') return { state: first || 'unknown' };
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
