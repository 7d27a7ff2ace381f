import { GRID_SLICE } from './egress-config.js';
import { SANDBOX_DOMAIN, SANDBOX_POOL } from './sandbox-names.js';

/**
 * What each resource manages on a host, as its `id`: two resources of one node with the same id
 * manage the same thing, which the planner refuses (engine/planner.ts). The resources and the
 * playbook check that finds such pairs before any host is contacted (playbooks/literal-resource-id.ts)
 * both take their ids from here, so the two rules cannot drift apart.
 */
export const resourceId = {
  file: (path: string) => `file ${path}`,
  directory: (path: string) => `directory ${path}`,
  line: (path: string, line: string) => `line ${path} ${JSON.stringify(line)}`,
  package: (names: readonly string[]) => `package ${names.join(',')}`,
  /** `module`: its key (moduleKey), so that both spellings of one module are one id. */
  kernelModule: (module: string, load: boolean) => (load ? `kernel-module ${module}` : `module-options ${module}`),
  sysctl: (key: string) => `sysctl ${key}`,
  systemdUnit: (unit: string) => `systemd-unit ${unit}`,
  absentPaths: (patterns: readonly string[]) => `absent-paths ${patterns.join(',')}`,
  absentUnit: (unit: string) => `absent-unit ${unit}`,
  absentLibvirt: (object: 'domain' | 'network' | 'pool', name: string) => `absent-libvirt ${object} ${name}`,
  command: (name: string) => `command ${name}`,
  libvirtNetwork: (name: string) => `libvirt-network ${name}`,
  sandboxEgress: (domain: string) => `sandbox-egress ${domain}`,
  egressLimit: `egress-limit ${GRID_SLICE}`,
  libvirtPool: `libvirt-pool ${SANDBOX_POOL}`,
  sandboxImage: 'sandbox-image',
  sandboxDisk: 'sandbox-disk',
  sandboxDomain: `sandbox-domain ${SANDBOX_DOMAIN}`,
} as const;
