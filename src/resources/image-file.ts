import { createHash } from 'node:crypto';
import { openSync, readFileSync, readSync, closeSync, statSync } from 'node:fs';
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

/**
 * Reads and hashes the image once per run (every host's plan wants it), keyed by path, size
 * and mtime so a rebuilt image is seen. qcow2 is recognised by its magic and its virtual size
 * read from the header; anything else is a raw disk.
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
  const header = Buffer.alloc(32);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, header, 0, 32, 0);
  } finally {
    closeSync(fd);
  }
  const qcow2 = header.subarray(0, 4).equals(Buffer.from([0x51, 0x46, 0x49, 0xfb]));
  const info: ImageFile = {
    path,
    sha256: createHash('sha256').update(readFileSync(path)).digest('hex'),
    format: qcow2 ? 'qcow2' : 'raw',
    sizeBytes: st.size,
    virtualSizeBytes: qcow2 ? Number(header.readBigUInt64BE(24)) : st.size,
  };
  cache.set(key, info);
  return info;
}
