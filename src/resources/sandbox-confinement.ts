import { attr, child, children, text, type Projection, type XmlNode } from './libvirt-xml.js';
import { namesRoot } from './root-id.js';

/**
 * The settings outside <devices> that undo QEMU's confinement, hand the guest a file or the SMBIOS
 * tables of the node, or let it run VMs of its own, as owned XPaths of the sandbox's definition
 * (projectDomain): gridops writes none of them, so any one a `virsh edit` adds is drift, and
 * gridops' definition replaces it; and the CPU's VT-x and AMD-V, which gridops disables, so an edit
 * that turns one on or takes its disable out is drift too. What libvirt fills in by itself (a
 * dynamic label for the qemu.conf user, a topology, the features of a running VM's CPU) projects as nothing.
 */
export function projectConfinement(dom: XmlNode): Projection {
  const os = child(dom, 'os');
  return {
    // QEMU unconfined (no label), as root, or its images left unlabelled.
    '/domain/seclabel': children(dom, 'seclabel').flatMap(weakenedLabel).sort().join(', ') || undefined,
    // Files of the node the guest would boot or read: its kernel, initrd, firmware, device tree, ACPI tables.
    ...Object.fromEntries(['kernel', 'initrd', 'loader', 'dtb'].map((f) => [`/domain/os/${f}`, text(child(os, f))])),
    '/domain/os/acpi/table': children(child(os, 'acpi'), 'table').map((t) => text(t) ?? '').join(', ') || undefined,
    '/domain/devices/interface/rom/@file': attr(child(dom, 'devices', 'interface', 'rom'), 'file'),
    // The node's own CPU model and features handed to the guest (side channels, the host's microcode level).
    '/domain/cpu/@mode': HOST_CPU_MODES.includes(attr(child(dom, 'cpu'), 'mode') ?? '') ? attr(child(dom, 'cpu'), 'mode') : undefined,
    // Guest memory in a file of the node, or shared with other processes.
    '/domain/memoryBacking': describeChildren(child(dom, 'memoryBacking')),
    // Block devices of the node named for I/O tuning.
    '/domain/blkiotune/device/path': children(child(dom, 'blkiotune'), 'device').map((d) => text(child(d, 'path')) ?? '').join(', ') || undefined,
    // A file of the node QEMU reads and hands the guest as a fw_cfg blob.
    '/domain/sysinfo[@type=fwcfg]/entry/@file':
      children(dom, 'sysinfo')
        .filter((s) => attr(s, 'type') === 'fwcfg')
        .flatMap((s) => children(s, 'entry').flatMap((e) => attr(e, 'file') ?? []))
        .join(', ') || undefined,
    // The node's own SMBIOS tables (mode host: its serial numbers, vendor and firmware versions) given to the guest.
    '/domain/os/smbios/@mode': attr(child(os, 'smbios'), 'mode'),
    // Nested virtualisation: the guest running VMs of its own on the node's KVM, whose VMX/SVM emulation is a larger attack surface of the host kernel.
    '/domain/cpu/feature[@name=vmx|svm]': nestedVirtualisation(child(dom, 'cpu')),
  };
}

/** CPU features that let the guest run VMs of its own: AMD's AMD-V and Intel's VT-x. */
const VIRTUALISATION_FEATURES = ['svm', 'vmx'];

/**
 * `svm=off, vmx=off`: each virtualisation feature as the <cpu> element leaves it. gridops' definition
 * disables both, so anything else is drift: `svm=require` (`require` is the policy libvirt assumes
 * where none is given; `force` and `optional`, on wherever the host has it, turn it on too), or
 * `svm=qemu64's default` where the element does not name it (qemu64, QEMU's default model, has svm).
 * `disable` and `forbid` both keep it off; other features, a topology and the order are not read,
 * so libvirt's own forms of the element (a running VM's check='full' and the features it fills in) are no drift.
 */
function nestedVirtualisation(cpu: XmlNode | undefined): string {
  const model = text(child(cpu, 'model'));
  return VIRTUALISATION_FEATURES.map((name) => {
    // libvirt refuses a feature named twice, so the first is the one.
    const feature = children(cpu, 'feature').find((f) => attr(f, 'name') === name);
    if (!feature) return `${name}=${model ? `${model}'s` : "QEMU's"} default`;
    const policy = attr(feature, 'policy') ?? 'require';
    return `${name}=${['disable', 'forbid'].includes(policy) ? 'off' : policy}`;
  }).join(', ');
}

/** CPU modes that pass the node's CPU, or all QEMU can offer, to the guest; `custom` (gridops' qemu64) does not. */
const HOST_CPU_MODES = ['host-passthrough', 'host-model', 'maximum'];

/**
 * A <seclabel> in the plan's words where it weakens the confinement libvirt gives by default (a
 * dynamic label for qemu.conf's user, images relabelled): `type=none` (but for model `none`), a static label, `relabel=no`,
 * or any label running QEMU as root or with root's group (a dynamic DAC label of `+0:+0` is
 * qemu.conf's `user = "root"`, one of `+64055:+0` its `group = "root"`).
 */
function weakenedLabel(label: XmlNode): string[] {
  // The label of the `none` security driver: some libvirt versions write it into a running VM's XML
  // on a host with no MAC driver. That is the host's configuration, which the qemu.conf check judges
  // (security_driver = "none" is refused there); as drift it would restart the VM at every run.
  if (attr(label, 'model') === 'none') return [];
  const type = attr(label, 'type') ?? 'dynamic';
  const value = text(child(label, 'label'));
  // A DAC label is `user:group`. libvirt's dynamic SELinux and AppArmor labels (system_u:system_r:…,
  // libvirt-<uuid>) never start with root or a number, so reading every label's first two parts so is safe.
  const asRoot = value !== undefined && value.split(':').slice(0, 2).some(namesRoot);
  if (type === 'dynamic' && attr(label, 'relabel') !== 'no' && !asRoot) return [];
  const what = [`type=${type}`, ...['model', 'relabel'].flatMap((a) => (attr(label, a) === undefined ? [] : [`${a}=${attr(label, a)}`])), ...(value === undefined ? [] : [`label=${value}`])];
  return [what.join(',')];
}

/** `source[type=file], access[mode=shared]`: an element's children by name and attributes, undefined without the element. */
function describeChildren(node: XmlNode | undefined): string | undefined {
  if (!node) return undefined;
  const described = Object.entries(node).flatMap(([name, value]) =>
    name.startsWith('@') || name === '#text' || !Array.isArray(value)
      ? []
      : value.map((c) => {
          const attrs = Object.keys(c).filter((k) => k.startsWith('@')).sort().map((k) => `${k.slice(1)}=${String(c[k])}`);
          return attrs.length ? `${name}[${attrs.join(',')}]` : name;
        }),
  );
  return described.sort().join(', ') || '(empty)';
}
