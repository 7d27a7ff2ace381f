import type { AbsentLibvirtChange } from '../plan/change.js';
import { quote } from '../transport/quote.js';
import { domainDefinition, networkDefinition, poolDefinition } from './libvirt-definitions.js';
import { probeLibvirt, refuseUnreadLibvirt } from './libvirt-read.js';
import type { PlanContext, Resource } from './resource.js';
import { resourceId } from './resource-id.js';
import type { StepRecorder } from './step-recorder.js';
import { DOMAIN_LOOKUP_FAILED, DOMAIN_UNDEFINE_FLAGS, DOMAIN_NOT_FOUND, NETWORK_NOT_FOUND, objectOrAbsent, parseInfo, POOL_NOT_FOUND, virsh } from './virsh.js';

export type LibvirtObject = AbsentLibvirtChange['object'];

/**
 * How each kind of object is read, found missing, told active, stopped and undefined. `lookupFailed`:
 * virsh's own line for a failed lookup, which says "missing" only where libvirt keeps no definition
 * of the object (objectOrAbsent; a domain's, which virsh 9.0 prints alone whatever the reason).
 */
const OBJECTS: Record<LibvirtObject, { noun: string; info: string; notFound: string; lookupFailed?: string; definition: (name: string) => string; active: (info: Map<string, string>) => boolean; destroy: string; undefine: string; undefineFlags?: readonly string[] }> = {
  domain: { noun: 'VM', info: 'dominfo', notFound: DOMAIN_NOT_FOUND, lookupFailed: DOMAIN_LOOKUP_FAILED, definition: domainDefinition, active: (i) => i.get('state') !== 'shut off', destroy: 'destroy', undefine: 'undefine', undefineFlags: DOMAIN_UNDEFINE_FLAGS },
  network: { noun: 'network', info: 'net-info', notFound: NETWORK_NOT_FOUND, definition: networkDefinition, active: (i) => i.get('active') === 'yes', destroy: 'net-destroy', undefine: 'net-undefine' },
  pool: { noun: 'pool', info: 'pool-info', notFound: POOL_NOT_FOUND, definition: poolDefinition, active: (i) => i.get('state') !== 'inactive', destroy: 'pool-destroy', undefine: 'pool-undefine' },
};

/**
 * libvirt's refusal (under LC_ALL=C) to destroy an object that is not running: "domain is not
 * running", "network 'X' is not active", "storage pool 'X' is not active". Only after "Requested
 * operation is not valid:", so an object whose name holds those words cannot pass another failure off as one.
 */
const NOT_RUNNING = '*"Requested operation is not valid: "*" not running"*|*"Requested operation is not valid: "*" not active"*';

/**
 * A name libvirt may have and gridops may name: it goes quoted into virsh's arguments and into the
 * path of its definition (/etc/libvirt/qemu/NAME.xml), so no `/`, `.` or `..` (another file), no
 * leading `-` (virsh would read it as an option) and no control characters.
 */
export function isLibvirtObjectName(name: string): boolean {
  // eslint-disable-next-line no-control-regex
  return name !== '' && name.length <= 255 && name !== '.' && name !== '..' && !name.startsWith('-') && !/[/\u0000-\u001f\u007f]/.test(name);
}

/**
 * A libvirt object gridops made (the sandbox VM, the grid network, the storage pool), removed
 * (hypervisor-off, reset): destroyed where it runs, then undefined. Read at plan time as the other
 * libvirt resources read: gone only where virsh or libvirt's daemon is not installed, where libvirt
 * answers that it has no such object (for a domain, virsh 9.0's bare "failed to get domain" counts
 * only where libvirt keeps no definition of it), or where libvirt does not answer and keeps no
 * definition of it; any other failure is the host's plan error (refuseUnreadLibvirt), since a removal taken for
 * done let the playbook go on to the input filter, the disks and the state's sandbox record under
 * a VM that may still run.
 */
export class AbsentLibvirtResource implements Resource<AbsentLibvirtChange> {
  readonly kind = 'absent-libvirt' as const;
  readonly ignoresFacts = true as const;
  readonly id: string;

  constructor(
    readonly object: LibvirtObject,
    readonly name: string,
  ) {
    if (!isLibvirtObjectName(name)) throw new RangeError(`not a libvirt ${object} name: ${JSON.stringify(name)}`);
    this.id = resourceId.absentLibvirt(object, name);
  }

  probe(): string {
    const o = OBJECTS[this.object];
    return probeLibvirt(objectOrAbsent(virsh(o.info, this.name), 'info', o.notFound, o.definition(this.name), o.lookupFailed));
  }

  diff(stdout: string, ctx: PlanContext): AbsentLibvirtChange | null {
    refuseUnreadLibvirt(stdout, ctx.node.name);
    const out = stdout.trim();
    if (out === 'no-libvirt' || out === 'absent') return null;
    const o = OBJECTS[this.object];
    const info = parseInfo(out);
    const state = info.get(this.object === 'network' ? 'active' : 'state') ?? '';
    const verbs = o.active(info) ? 'destroy and undefine' : 'undefine';
    return { kind: 'absent-libvirt', id: this.id, action: 'delete', object: this.object, name: this.name, summary: `${verbs} ${o.noun} ${this.name}`, fields: [{ name: this.object === 'network' ? 'active' : 'state', before: state || null, after: null }] };
  }

  /**
   * The destroy runs whatever the plan read: an object started since then must not be undefined
   * while it runs (a running VM undefined runs on, transient, over disks about to be removed).
   * "Not running" and "not found" (gone since the plan) are success, as is virsh's bare lookup
   * failure once libvirt keeps no definition of the object (an undefine removes it); any other failure
   * fails the step, and the host's batch stops before the steps after it.
   */
  async apply(change: AbsentLibvirtChange, recorder: StepRecorder): Promise<void> {
    const o = OBJECTS[this.object];
    const gone = { lookupFailed: o.lookupFailed, definition: o.definition(this.name) };
    await recorder.run(tolerating(virsh(o.destroy, this.name), `${NOT_RUNNING}|${o.notFound}`, gone), `virsh ${o.destroy} ${this.name}`);
    await recorder.run(tolerating(virsh(o.undefine, ...(o.undefineFlags ?? []), this.name), o.notFound, gone), `virsh ${o.undefine} ${this.name}`);
  }
}

/**
 * `command` (virsh, under LC_ALL=C so that its words can be matched), whose failure with an error
 * matching `pattern` is success, as is one matching `gone.lookupFailed` where `gone.definition` is not
 * on disk; any other prints the error and fails.
 */
function tolerating(command: string, pattern: string, gone: { lookupFailed: string | undefined; definition: string }): string {
  const fail = `printf '%s\\n' "$virsh_err" >&2; exit 1`;
  const lookupFailed = gone.lookupFailed ? ` ${gone.lookupFailed}) if [ -e ${quote(gone.definition)} ]; then ${fail}; fi ;;` : '';
  return `if ! virsh_err=$(LC_ALL=C ${command} 2>&1 >/dev/null); then case "$virsh_err" in ${pattern}) ;;${lookupFailed} *) ${fail} ;; esac; fi`;
}
