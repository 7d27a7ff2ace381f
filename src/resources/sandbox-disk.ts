import type { StepRecorder } from './step-recorder.js';
import type { SandboxDiskChange } from '../plan/change.js';
import type { ImageFile } from './image-file.js';
import { attr, child, parseXml, renderLibvirtXml, text } from './libvirt-xml.js';
import type { PlanContext, Resource } from './resource.js';
import { LIBVIRT_XML_DIR, SANDBOX_POOL, baseVolumeName, overlayVolumeName, volumePath } from './sandbox-names.js';
import { objectOrAbsent, POOL_NOT_FOUND, virsh, VOL_NOT_FOUND } from './virsh.js';
import { probeLibvirt, refuseUnreadLibvirt } from './libvirt-read.js';
import { POOL_DEFINITION } from './libvirt-definitions.js';
import { resourceId } from './resource-id.js';

/**
 * The node's sandbox disk: a qcow2 overlay on the base image volume, so the base stays pristine
 * and a new image gets a fresh overlay beside the old one (the VM moves to it only on an
 * explicit replace). Created through libvirt (`vol-create` from XML).
 */
export class SandboxDiskResource implements Resource<SandboxDiskChange> {
  readonly kind = 'sandbox-disk' as const;
  readonly id = resourceId.sandboxDisk;
  readonly volume: string;
  readonly base: string;
  readonly xml: string;

  constructor(image: ImageFile) {
    this.volume = overlayVolumeName(image.sha256);
    this.base = volumePath(baseVolumeName(image.sha256, image.format));
    this.xml = renderLibvirtXml('overlay-volume.xml.hbs', { name: this.volume, capacityBytes: image.virtualSizeBytes, basePath: this.base, baseFormat: image.format });
  }

  probe(): string {
    // Absent where libvirt has no such volume, or no such pool (the pool resource, planned before, defines it): another failure is `unknown (WHY)`, a plan error.
    return probeLibvirt(objectOrAbsent(virsh('vol-dumpxml', '--pool', SANDBOX_POOL, this.volume), 'xml', `${VOL_NOT_FOUND}|${POOL_NOT_FOUND}`, POOL_DEFINITION));
  }

  diff(stdout: string, ctx: PlanContext): SandboxDiskChange | null {
    refuseUnreadLibvirt(stdout, ctx.node.name);
    const vol = parseXml(stdout, 'volume') ?? undefined;
    const backing = text(child(vol, 'backingStore', 'path'));
    const format = attr(child(vol, 'target', 'format'), 'type');
    if (vol && backing === this.base && format === 'qcow2') return null;
    const base = { kind: 'sandbox-disk' as const, id: this.id, volume: this.volume, base: this.base };
    if (!vol) return { ...base, action: 'create', fields: [{ name: 'volume', before: null, after: `${this.volume} (qcow2 on ${this.base})` }], summary: `create overlay disk ${this.volume} on the base image` };
    // Only someone else's hand can make our overlay sit on another base: recreating it loses the sandbox's disk.
    return {
      ...base,
      action: 'update',
      fields: [{ name: 'backing', before: `${backing ?? '(none)'} (${format ?? '?'})`, after: `${this.base} (qcow2)` }],
      summary: `recreate overlay disk ${this.volume} (it is not a qcow2 overlay on the base image)`,
      needsRestart: `the overlay disk ${this.volume} must be recreated, which discards the sandbox's disk`,
    };
  }

  async apply(change: SandboxDiskChange, writer: StepRecorder): Promise<void> {
    const file = `${LIBVIRT_XML_DIR}/volume-${this.volume}.xml`;
    await writer.run(`mkdir -p -- ${LIBVIRT_XML_DIR}`, `mkdir ${LIBVIRT_XML_DIR}`);
    await writer.write(file, Buffer.from(this.xml), '0644');
    if (change.action === 'update') await writer.run(virsh('vol-delete', '--pool', SANDBOX_POOL, this.volume), `virsh vol-delete ${this.volume}`);
    await writer.run(`${virsh('vol-create', SANDBOX_POOL, file)} >/dev/null`, `virsh vol-create ${this.volume}`);
  }
}
