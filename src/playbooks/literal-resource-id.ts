import { moduleKey } from '../topology/kernel-names.js';
import { resourceId } from '../resources/resource-id.js';
import { libvirtObjectOf } from './libvirt-object-entry.js';
import type { PlaybookResource } from './schema.js';

/** A value instantiate.ts uses as it is written: substitute() leaves a string with no `{{` unchanged. */
const literal = (value: string) => !value.includes('{{');

/**
 * The id (resources/resource-id.ts) of what a valid playbook entry manages on every node it runs
 * on, when the entry alone says it: what instantiate.ts would make of it, for values written
 * without substitution. Undefined for an entry whose id is known per node only (a `{{...}}`
 * value, or one the topology's settings give: `kernel-modules`, `sysctls`, `libvirt-network`; the
 * planner refuses those pairs per host), and for `sandbox-egress`, which hypervisor and qos both
 * hold on purpose (the planner keeps one).
 */
export function literalResourceId(entry: PlaybookResource): string | undefined {
  if ('file' in entry) return literal(entry.file.path) ? resourceId.file(entry.file.path) : undefined;
  if ('directory' in entry) return literal(entry.directory.path) ? resourceId.directory(entry.directory.path) : undefined;
  if ('line' in entry) return literal(entry.line.path) && literal(entry.line.line) ? resourceId.line(entry.line.path, entry.line.line) : undefined;
  // Package names and a command's name are not substituted (instantiate.ts): literal as they are.
  if ('package' in entry) return resourceId.package(entry.package.names);
  if ('kernel-module' in entry) return literal(entry['kernel-module'].name) ? resourceId.kernelModule(moduleKey(entry['kernel-module'].name), true) : undefined;
  if ('sysctl' in entry) return literal(entry.sysctl.key) ? resourceId.sysctl(entry.sysctl.key) : undefined;
  if ('systemd-unit' in entry) return literal(entry['systemd-unit'].unit) ? resourceId.systemdUnit(entry['systemd-unit'].unit) : undefined;
  if ('absent-paths' in entry) return entry['absent-paths'].paths.every(literal) ? resourceId.absentPaths(entry['absent-paths'].paths) : undefined;
  if ('absent-unit' in entry) return literal(entry['absent-unit'].unit) ? resourceId.absentUnit(entry['absent-unit'].unit) : undefined;
  if ('absent-libvirt' in entry) {
    const [object, name] = libvirtObjectOf(entry['absent-libvirt']);
    return literal(name) ? resourceId.absentLibvirt(object, name) : undefined;
  }
  if ('command' in entry) return resourceId.command(entry.command.name);
  if ('egress-limit' in entry) return resourceId.egressLimit;
  if ('libvirt-pool' in entry) return resourceId.libvirtPool;
  if ('sandbox-image' in entry) return resourceId.sandboxImage;
  if ('sandbox-disk' in entry) return resourceId.sandboxDisk;
  if ('sandbox-domain' in entry) return resourceId.sandboxDomain;
  return undefined;
}
