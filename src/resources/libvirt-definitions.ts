import { SANDBOX_DOMAIN, SANDBOX_POOL } from './sandbox-names.js';

/**
 * Where libvirt keeps the persistent definitions of gridops' objects: one XML file each, root's
 * (the probes run as root), the same for libvirtd and the modular daemons. They say what libvirt
 * has while libvirt itself does not answer: without its file, libvirt has no such object to start
 * or overwrite (gridops defines nothing transient).
 */
export const networkDefinition = (network: string) => `/etc/libvirt/qemu/networks/${network}.xml`;
export const poolDefinition = (pool: string) => `/etc/libvirt/storage/${pool}.xml`;
export const domainDefinition = (domain: string) => `/etc/libvirt/qemu/${domain}.xml`;
export const POOL_DEFINITION = poolDefinition(SANDBOX_POOL);
export const DOMAIN_DEFINITION = domainDefinition(SANDBOX_DOMAIN);
