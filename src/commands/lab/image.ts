import { Flags } from '@oclif/core';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { GridopsCommand } from '../../base-command.js';
import { writeFileAtomic } from '../../fs/atomic-write.js';
import { withInterrupt } from '../../lab/interrupt.js';
import { resolveCacheDir } from '../../lab/paths.js';
import { preflightImage } from '../../lab/preflight.js';
import { lineProgress } from '../../lab/progress.js';
import { ensureSandboxImage, sandboxImagePath, type SandboxImageResult } from '../../lab/sandbox-image.js';
import { inspectImage } from '../../resources/image-file.js';

/** What `lab image` returns: the cached image and its identity. */
export interface LabImageResult extends SandboxImageResult {
  sha256: string;
  /** Where --out put a copy. */
  copiedTo?: string;
}

export default class LabImage extends GridopsCommand<LabImageResult> {
  static override summary = 'Build (once, cached; as root) a minimal bootable sandbox image from Debian packages';
  static override description =
    'Debian\'s kernel and a busybox system in an initramfs, on a FAT disk booted by SYSLINUX: one raw file (about 11 MiB) to name as hypervisor.sandbox.image. Runs as root: `debootstrap --foreign` downloads the packages from this machine\'s Debian mirror (the http one in its apt sources, else deb.debian.org), through --proxy (e.g. the lab\'s apt proxy) when given, and dpkg-deb unpacks them; nothing is installed on this machine, and nothing is chrooted or mounted. `lab up` builds it for container labs.';
  static override examples = ['<%= config.bin %> lab image', '<%= config.bin %> lab image --out examples/images/sandbox.img', '<%= config.bin %> lab image --proxy http://10.231.0.1:3142'];
  static override flags = {
    proxy: Flags.string({ description: 'HTTP proxy for the package downloads (the lab\'s apt proxy)' }),
    out: Flags.string({ description: 'also copy the image to this file (e.g. where a topology\'s hypervisor.sandbox.image points)' }),
  };

  async run(): Promise<LabImageResult> {
    const { flags } = await this.parse(LabImage);
    // A cached image is only copied: that needs neither root nor debootstrap.
    if (!existsSync(sandboxImagePath(resolveCacheDir()))) preflightImage();
    const progress = lineProgress((l) => this.say(l), this.verbose);
    const result = await withInterrupt((signal) => ensureSandboxImage(resolveCacheDir(), progress, signal, flags.proxy));
    const { sha256 } = inspectImage(result.path);
    this.say(`${result.path}\n  ${(result.bytes / 2 ** 20).toFixed(1)} MiB, sha256 ${sha256}${result.built ? `, built in ${(result.ms / 1000).toFixed(1)} s` : ' (cached)'}`);
    if (!flags.out) return { ...result, sha256 };
    const out = resolve(flags.out);
    await mkdir(dirname(out), { recursive: true });
    // Atomic, so a reader never sees half an image (about 11 MiB: read whole).
    await writeFileAtomic(out, await readFile(result.path));
    this.say(`  copied to ${out}`);
    return { ...result, sha256, copiedTo: out };
  }
}
