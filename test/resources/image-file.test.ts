import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlanningError } from '../../src/errors/index.js';
import { inspectImage } from '../../src/resources/image-file.js';

/**
 * A qcow2 file as QEMU reads its header (version 3, 104 bytes, big-endian): `backing` names a
 * backing file after the header, `incompatible` sets the incompatible-feature bits (bit 2: an
 * external data file).
 */
function qcow2(options: { backing?: string; incompatible?: bigint; version?: number } = {}): Buffer {
  const header = Buffer.alloc(512);
  header.write('QFI\xfb', 0, 'latin1');
  header.writeUInt32BE(options.version ?? 3, 4);
  if (options.backing !== undefined) {
    header.writeBigUInt64BE(200n, 8);
    header.writeUInt32BE(options.backing.length, 16);
    header.write(options.backing, 200, 'latin1');
  }
  header.writeUInt32BE(16, 20);
  header.writeBigUInt64BE(1n << 30n, 24);
  if ((options.version ?? 3) >= 3) {
    header.writeBigUInt64BE(options.incompatible ?? 0n, 72);
    header.writeUInt32BE(4, 96);
    header.writeUInt32BE(104, 100);
  }
  return header;
}

describe('the base image: a qcow2 names no other file', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-image-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, bytes: Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };
  const refusal = (path: string): PlanningError => {
    try {
      inspectImage(path);
    } catch (error) {
      return error as PlanningError;
    }
    throw new Error(`${path} was accepted`);
  };

  it('a self-contained qcow2 (v3 and v2) and a raw disk are accepted, with their virtual size', () => {
    expect(inspectImage(file('plain.qcow2', qcow2()))).toMatchObject({ format: 'qcow2', virtualSizeBytes: 2 ** 30 });
    expect(inspectImage(file('v2.qcow2', qcow2({ version: 2 })))).toMatchObject({ format: 'qcow2', virtualSizeBytes: 2 ** 30 });
    expect(inspectImage(file('disk.img', Buffer.alloc(4096)))).toMatchObject({ format: 'raw', virtualSizeBytes: 4096 });
  });

  it('one naming a backing file (a device of the host, say) is refused: QEMU would open it as the guest\'s disk', () => {
    const error = refusal(file('backed.qcow2', qcow2({ backing: '/dev/sda' })));
    expect(error).toBeInstanceOf(PlanningError);
    expect(error.message).toMatch(/backed\.qcow2 is a qcow2 overlay on the backing file "\/dev\/sda"/);
    expect(error.hint).toMatch(/qemu-img convert -O qcow2/);
  });

  it('one with an external data file (incompatible feature bit 2) is refused', () => {
    const error = refusal(file('data.qcow2', qcow2({ incompatible: 1n << 2n })));
    expect(error).toBeInstanceOf(PlanningError);
    expect(error.message).toMatch(/data\.qcow2 keeps its data in an external data file/);
  });
});
