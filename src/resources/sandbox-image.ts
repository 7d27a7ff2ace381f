import { randomBytes } from 'node:crypto';
import type { StepRecorder } from './step-recorder.js';
import type { SandboxImageChange } from '../plan/change.js';
import { quote } from '../transport/quote.js';
import type { ImageFile } from './image-file.js';
import type { Resource } from './resource.js';
import { SANDBOX_POOL, SANDBOX_STAGED_IMAGE, baseVolumeName, volumePath } from './sandbox-names.js';
import { virsh } from './virsh.js';
import { resourceId } from './resource-id.js';

/**
 * The sandbox's base image as a volume of the gridops pool, named by its sha256: uploaded once
 * over SFTP (never through the script), checked against its sha256 on the node before it is put
 * in place, and uploaded again only when the image (so its sha256) changes. The overlay disks
 * sit on it, so it is never written. It is staged in root's own directory (SANDBOX_STAGING_PATH),
 * where nobody else can swap it between its check and its move.
 */
export class SandboxImageResource implements Resource<SandboxImageChange> {
  readonly kind = 'sandbox-image' as const;
  readonly id = resourceId.sandboxImage;
  readonly volume: string;
  private readonly path: string;

  constructor(readonly image: ImageFile) {
    this.volume = baseVolumeName(image.sha256, image.format);
    this.path = volumePath(this.volume);
  }

  probe(): string {
    const p = quote(this.path);
    // A file, read without libvirt: where libvirt does not answer, the host's plan fails on the
    // network, pool, disk and VM read beside it, before this volume's `pool-refresh` could.
    return `if [ -f ${p} ]; then stat -c %s -- ${p}; else echo absent; fi`;
  }

  diff(stdout: string): SandboxImageChange | null {
    const size = stdout.trim();
    if (size === String(this.image.sizeBytes)) return null;
    const present = size !== 'absent' && size !== '';
    return {
      kind: 'sandbox-image',
      id: this.id,
      action: present ? 'update' : 'create',
      sha256: this.image.sha256,
      volume: this.volume,
      sizeBytes: this.image.sizeBytes,
      fields: [{ name: 'volume', before: present ? `${this.volume} (${size} bytes, incomplete)` : null, after: `${this.volume} (${this.image.sizeBytes} bytes, ${this.image.format})` }],
      summary: `upload base image ${this.image.path} (sha256 ${this.image.sha256.slice(0, 12)}, ${(this.image.sizeBytes / 2 ** 20).toFixed(1)} MiB)`,
    };
  }

  async apply(_change: SandboxImageChange, writer: StepRecorder): Promise<void> {
    await writer.stageUpload(this.image.path, SANDBOX_STAGED_IMAGE);
    const s = quote(SANDBOX_STAGED_IMAGE);
    // Claimed first, by a rename to a name of this run's own: the staged name is one for every run
    // (so a re-run overwrites what a failed one left), and an apply of this host from another state
    // directory could unlink and upload it again between this run's check and its move, which would
    // then place that run's half-written file. Renamed away, the file is this run's alone.
    const c = quote(`${SANDBOX_STAGED_IMAGE}.${randomBytes(8).toString('hex')}`);
    await writer.run(
      [
        `mv -f -T -- ${s} ${c} || { echo ${quote(`${SANDBOX_STAGED_IMAGE} is gone (another apply of this host took it); run apply again`)} >&2; exit 1; }`,
        // The upload wrote a regular file there (its directory is root's alone); anything else is not checked nor placed.
        `if [ -L ${c} ] || [ ! -f ${c} ]; then rm -f -- ${c}; echo ${quote(`${SANDBOX_STAGED_IMAGE} is not the uploaded image (not a regular file); run apply again`)} >&2; exit 1; fi`,
        `if ! printf '%s  %s\\n' ${quote(this.image.sha256)} ${c} | sha256sum -c --status -; then rm -f -- ${c}; echo 'the uploaded image does not match its sha256; run apply again' >&2; exit 1; fi`,
        // A failed move leaves nothing behind either: the claimed name is this run's alone, and no later run would overwrite it.
        `{ chmod 0644 ${c} && mv -f -T -- ${c} ${quote(this.path)}; } || { rm -f -- ${c}; exit 1; }`,
        virsh('pool-refresh', SANDBOX_POOL),
      ].join('\n'),
      `place base image ${this.volume}`,
    );
  }
}
