import type { StepRecorder } from './step-recorder.js';
import type { FieldChange, LibvirtPoolChange } from '../plan/change.js';
import { sha256 } from './file-state.js';
import { attr, child, differingKeys, parseXml, projectionDiff, renderLibvirtXml, text, type Projection, type XmlNode } from './libvirt-xml.js';
import { probeSections, splitProbeSections } from './probe-sections.js';
import type { PlanContext, Resource } from './resource.js';
import { LIBVIRT_XML_DIR, SANDBOX_POOL, SANDBOX_POOL_PATH } from './sandbox-names.js';
import { objectOrAbsent, parseInfo, POOL_NOT_FOUND, virsh } from './virsh.js';
import { probeLibvirt, refuseUnreadLibvirt } from './libvirt-read.js';
import { POOL_DEFINITION } from './libvirt-definitions.js';
import { resourceId } from './resource-id.js';

/** The dir storage pool under /var/lib/gridops that holds the base images and the overlay disks; active and autostarted. */
export class LibvirtPoolResource implements Resource<LibvirtPoolChange> {
  readonly kind = 'libvirt-pool' as const;
  readonly id = resourceId.libvirtPool;
  readonly xml = renderLibvirtXml('pool.xml.hbs', { name: SANDBOX_POOL, path: SANDBOX_POOL_PATH });
  private readonly file = `${LIBVIRT_XML_DIR}/pool-${SANDBOX_POOL}.xml`;

  probe(): string {
    // Absent only where libvirt says so: an access-denied or driver error read as absent planned a define over the pool that is there.
    return probeLibvirt(probeSections(objectOrAbsent(virsh('pool-dumpxml', '--inactive', SANDBOX_POOL), 'xml', POOL_NOT_FOUND, POOL_DEFINITION), `${virsh('pool-info', SANDBOX_POOL)} 2>/dev/null || true`));
  }

  diff(stdout: string, ctx: PlanContext): LibvirtPoolChange | null {
    const [xmlPart = '', infoPart = ''] = splitProbeSections(stdout);
    refuseUnreadLibvirt(xmlPart, ctx.node.name);
    const want = projectPool(parseXml(this.xml, 'pool')!);
    const current = parseXml(xmlPart, 'pool');
    const have = current ? projectPool(current) : null;
    const info = parseInfo(infoPart);
    const steps: LibvirtPoolChange['steps'] = [];
    const fields: FieldChange[] = [];
    if (!have) steps.push('define', 'start', 'autostart');
    else {
      const differing = differingKeys(want, have);
      if (differing.length) steps.push('define');
      for (const k of differing) fields.push({ name: k, before: have[k] ?? null, after: want[k] ?? null });
      if (info.get('state') !== 'running') (steps.push('start'), fields.push({ name: 'state', before: info.get('state') ?? null, after: 'running' }));
      if (info.get('autostart') !== 'yes') (steps.push('autostart'), fields.push({ name: 'autostart', before: info.get('autostart') ?? null, after: 'yes' }));
    }
    if (steps.length === 0) return null;
    return {
      kind: 'libvirt-pool',
      id: this.id,
      action: have ? 'update' : 'create',
      pool: SANDBOX_POOL,
      steps,
      fields,
      xmlSha256: sha256(this.xml),
      summary: have ? `${steps.join(', ')} pool ${SANDBOX_POOL}` : `define and start dir pool ${SANDBOX_POOL} at ${SANDBOX_POOL_PATH}`,
      diff: have ? projectionDiff(`pool ${SANDBOX_POOL}`, have, want) : undefined,
    };
  }

  async apply(change: LibvirtPoolChange, writer: StepRecorder): Promise<void> {
    if (change.steps.includes('define')) {
      await writer.run(`mkdir -p -- ${LIBVIRT_XML_DIR} ${SANDBOX_POOL_PATH}`, `mkdir ${SANDBOX_POOL_PATH}`);
      await writer.write(this.file, Buffer.from(this.xml), '0644');
      await writer.run(virsh('pool-define', this.file), `virsh pool-define ${SANDBOX_POOL}`);
    }
    if (change.steps.includes('start')) await writer.run(virsh('pool-start', SANDBOX_POOL), `virsh pool-start ${SANDBOX_POOL}`);
    if (change.steps.includes('autostart')) await writer.run(virsh('pool-autostart', SANDBOX_POOL), `virsh pool-autostart ${SANDBOX_POOL}`);
  }
}

/** The XPaths of a pool that gridops owns (libvirt adds uuid, capacity, owner, …). */
export function projectPool(pool: XmlNode): Projection {
  return { '/pool/@type': attr(pool, 'type'), '/pool/name': text(child(pool, 'name')), '/pool/target/path': text(child(pool, 'target', 'path')) };
}
