import { createHash } from 'node:crypto';

/**
 * Names and identities of a node's sandbox, derived only from the grid and node names, so every
 * run (and every operator) computes the same UUID, MAC, tap and bridge: libvirt never invents
 * one, and nothing drifts from run to run (community.libvirt regenerates the MAC, #186).
 */

/** The libvirt domain of a node's sandbox VM (one per node). */
export const SANDBOX_DOMAIN = 'gridops-sandbox';
/** The dir pool that holds the base images and the overlay disks. */
export const SANDBOX_POOL = 'gridops';
export const SANDBOX_POOL_PATH = '/var/lib/gridops/images';
/**
 * Where the base image is uploaded before its sha256 is checked: root's alone (0700; the upload
 * refuses it otherwise), so no other user can own or swap the file between the check and the move,
 * and beside the pool, on the same file system, so the move into the pool is a rename.
 */
export const SANDBOX_STAGING_PATH = '/var/lib/gridops/staging';
/** The staged base image: one name whatever the image, so a re-run overwrites what a failed one left. */
export const SANDBOX_STAGED_IMAGE = `${SANDBOX_STAGING_PATH}/base-image.part`;
/**
 * The host-side tap of the sandbox's NIC. Fixed, so traffic control (issue 10, the VM's egress)
 * can name it; libvirt accepts a chosen name that does not start with `vnet`, `vif` or `macvtap`.
 */
export const SANDBOX_TAP = 'gs-sandbox';
/** Where the running sandbox's serial console is logged (boot messages, for status and tests). */
export const SANDBOX_SERIAL_LOG = `/var/log/libvirt/qemu/${SANDBOX_DOMAIN}-serial.log`;
/** Where gridops keeps the XML it defined, on the node (for reference; libvirt holds the truth). */
export const LIBVIRT_XML_DIR = '/var/lib/gridops/libvirt';
/** The isolated grid network's addresses (each node's network is private to that node). */
export const GRID_NET = { address: '172.31.254.1', netmask: '255.255.255.0', dhcpStart: '172.31.254.10', dhcpEnd: '172.31.254.250' } as const;

function digest(...parts: string[]): Buffer {
  return createHash('sha256').update(parts.join('\0')).digest();
}

/** A name-based UUID (RFC 4122 layout, version 5 bits) from the grid and node names. */
export function sandboxUuid(grid: string, node: string): string {
  const b = digest('gridops-sandbox-uuid', grid, node).subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A MAC in QEMU's 52:54:00 range from the grid and node names. */
export function sandboxMac(grid: string, node: string): string {
  const b = digest('gridops-sandbox-mac', grid, node);
  return ['52', '54', '00', ...[0, 1, 2].map((i) => b[i]!.toString(16).padStart(2, '0'))].join(':');
}

/** The bridge of a grid network: `gs-NAME` when it fits Linux's 15 characters, else `gs-` and a hash of the name. */
export function gridBridgeName(network: string): string {
  const plain = `gs-${network}`;
  return plain.length <= 15 ? plain : `gs-${digest('gridops-bridge', network).toString('hex').slice(0, 12)}`;
}

/** The base image volume: named by its sha256, so a new image is a new volume and an unchanged one is never uploaded again. */
export function baseVolumeName(sha256: string, format: 'raw' | 'qcow2'): string {
  return `base-${sha256}.${format === 'raw' ? 'img' : 'qcow2'}`;
}

/** The node's overlay disk on a base image (named by the base, so a new image gets a fresh overlay beside the old one). */
export function overlayVolumeName(sha256: string): string {
  return `sandbox-${sha256.slice(0, 16)}.qcow2`;
}

export const volumePath = (name: string) => `${SANDBOX_POOL_PATH}/${name}`;
