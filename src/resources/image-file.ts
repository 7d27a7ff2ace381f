import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { PlanningError } from '../errors/index.js';

/** A disk image on the operator's machine, as gridops identifies it. */
export interface ImageFile {
  path: string;
  sha256: string;
  format: 'raw' | 'qcow2';
  sizeBytes: number;
  /** The size of the disk it holds (qcow2's header field; a raw file's own size). */
  virtualSizeBytes: number;
}

const cache = new Map<string, ImageFile>();

/** The part of a qcow2 header gridops reads: through version 3's incompatible-feature bits. */
const HEADER_BYTES = 80;
/** qcow2 v3's incompatible-feature bit for an external data file (the guest's data in another file, named in a header extension). */
const EXTERNAL_DATA_FILE = 1n << 2n;
/** The longest backing file name QEMU accepts (1023 bytes): enough to name it in the refusal. */
const BACKING_NAME_MAX = 1023;

const SELF_CONTAINED_HINT = 'make it self-contained, e.g. `qemu-img convert -O qcow2 IMAGE flat.qcow2` (or -O raw), and point hypervisor.sandbox.image at that';

/**
 * Refuses a qcow2 that names another file: QEMU (and libvirt, probing the chain) would open a
 * backing file or an external data file as the guest's disk content, on the node, as whatever path
 * the header names (a host device such as /dev/sda, another guest's image): the sandbox would read,
 * and through an overlay's commit or the data file write, the node's storage.
 */
function checkSelfContained(path: string, header: Buffer): void {
  const version = header.readUInt32BE(4);
  const backingOffset = header.readBigUInt64BE(8);
  if (backingOffset !== 0n) {
    const start = Number(backingOffset);
    const name = header.subarray(start, start + Math.min(header.readUInt32BE(16), BACKING_NAME_MAX));
    throw new PlanningError(`hypervisor.sandbox.image ${path} is a qcow2 overlay on the backing file ${JSON.stringify(name.toString('latin1'))}: on the node, QEMU would open that path as the sandbox's disk content`, SELF_CONTAINED_HINT);
  }
  if (version >= 3 && (header.readBigUInt64BE(72) & EXTERNAL_DATA_FILE) !== 0n) {
    throw new PlanningError(`hypervisor.sandbox.image ${path} keeps its data in an external data file (qcow2 incompatible feature data-file): on the node, QEMU would open the file its header names as the sandbox's disk content`, SELF_CONTAINED_HINT);
  }
}

/**
 * Reads and hashes the image once per run (every host's plan wants it), keyed by path, size
 * and mtime so a rebuilt image is seen. qcow2 is recognised by its magic and its virtual size
 * read from the header, and must name no other file (checkSelfContained); anything else is a raw disk.
 */
export function inspectImage(path: string): ImageFile {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new PlanningError(`hypervisor.sandbox.image ${path} does not exist on this machine`, 'build one with `gridops lab image` (a minimal bootable image from Debian packages), or point hypervisor.sandbox.image at a raw or qcow2 disk image');
  }
  if (!st.isFile()) throw new PlanningError(`hypervisor.sandbox.image ${path} is not a file`, 'point it at a raw or qcow2 disk image');
  const key = `${path}\0${st.size}\0${st.mtimeMs}`;
  const hit = cache.get(key);
  if (hit) return hit;
  // Read once: the bytes checked are the bytes hashed (and so the bytes the node verifies and uses).
  const bytes = readFileSync(path);
  const qcow2 = bytes.length >= HEADER_BYTES && bytes.subarray(0, 4).equals(Buffer.from([0x51, 0x46, 0x49, 0xfb]));
  if (qcow2) checkSelfContained(path, bytes);
  const info: ImageFile = {
    path,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    format: qcow2 ? 'qcow2' : 'raw',
    sizeBytes: st.size,
    virtualSizeBytes: qcow2 ? Number(bytes.readBigUInt64BE(24)) : st.size,
  };
  cache.set(key, info);
  return info;
}
