import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LabError } from '../errors/index.js';
import type { Progress } from './progress.js';
import { publishFile } from './publish-build.js';
import { SUITE, cleanAbandonedBuilds, hostMirrors, runDebootstrap } from './rootfs.js';
import { unmountUnder } from './sys.js';

/**
 * The lab's sandbox image: a minimal bootable disk built from Debian packages, downloaded from
 * this machine's mirror (through a proxy when given) and only unpacked: Debian's kernel and a busybox system in an initramfs,
 * booted by SYSLINUX from a FAT disk image. Everything the VM boots is inside the one image
 * file that gridops uploads as the base volume; no host-side kernel or initrd. It runs from RAM
 * (its disk is the boot medium), so it is small (about 11 MiB) and quick under TCG.
 * The guest loads its virtio drivers, takes a DHCP lease on the grid network, prints
 * `gridops-sandbox: up in Ns` on the serial console, and offers a shell there.
 */

/** Bumped whenever the image's content changes, so an old cache is rebuilt rather than trusted. */
export const SANDBOX_IMAGE_VERSION = 2;

/** Only unpacked (dpkg-deb -x), never installed: the build needs no maintainer scripts and no chroot. */
export const SANDBOX_IMAGE_PACKAGES = ['linux-image-amd64', 'busybox-static', 'syslinux', 'mtools', 'dosfstools'];

/** The guest's drivers for a virtio NIC, disk and balloon, in load order (Debian builds them as modules). */
const GUEST_MODULES = ['virtio', 'virtio_ring', 'virtio_pci_modern_dev', 'virtio_pci_legacy_dev', 'virtio_pci', 'failover', 'net_failover', 'virtio_net', 'virtio_balloon', 'virtio_blk'];

/**
 * Module parameters. With napi_tx (on by default in Debian's 6.1) virtio_net frees sent buffers
 * only from its TX interrupt. Under TCG, in 3 of 4 freshly booted VMs a TCP flow from the guest
 * stopped within seconds and for good (2026-12-01): QEMU had consumed and signalled every buffer,
 * yet the guest's TX interrupt count stood still and its eth0 sent nothing more, not even a FIN,
 * until the VM restarted. With napi_tx=0 the driver also frees them on the next send: 14 flows of
 * 12 s in a row, in two VMs, none stopped.
 */
const GUEST_MODULE_ARGS: Readonly<Record<string, string>> = { virtio_net: 'napi_tx=0' };

const INIT = `#!/bin/busybox sh
# gridops sandbox image: a busybox system that runs from RAM.
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
${GUEST_MODULES.map((m) => `insmod /lib/modules/${m}.ko${GUEST_MODULE_ARGS[m] ? ` ${GUEST_MODULE_ARGS[m]}` : ''} 2>/dev/null`).join('\n')}
hostname sandbox
ip link set lo up
i=0; while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 25 ]; do sleep 0.2; i=$((i + 1)); done
ip link set eth0 up && udhcpc -i eth0 -s /usr/share/udhcpc/default.script -q -t 10 -n >/dev/null 2>&1 &
read up idle < /proc/uptime
echo "gridops-sandbox: up in \${up}s"
exec /bin/init
`;
const INITTAB = `ttyS0::respawn:-/bin/sh
::ctrlaltdel:/bin/reboot
`;
const DHCP_SCRIPT = `#!/bin/sh
case "$1" in
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/\${mask:-24}" dev "$interface"
    echo "gridops-sandbox: $interface $ip"
    ;;
esac
`;
const SYSLINUX_CFG = `DEFAULT sandbox
PROMPT 0
TIMEOUT 0
SERIAL 0 115200
LABEL sandbox
  KERNEL vmlinuz
  INITRD initrd.gz
  APPEND console=ttyS0,115200 quiet panic=10
`;

export interface SandboxImageResult {
  path: string;
  built: boolean;
  ms: number;
  bytes: number;
}

/** How a build of the image that ran beside other work ended: its result, or what it threw. */
export interface SandboxImageOutcome {
  image?: SandboxImageResult;
  error?: unknown;
}

/**
 * The image a container `up` built while its nodes booted, judged once they are up. An interrupt
 * comes first (`checkAbort` throws the lab's own InterruptedError, which names `lab down --dir`):
 * Ctrl-C stops the image's build too, and the build's error ("interrupted while building ...;
 * nothing was cached") would hide that the nodes run and lab.json records them.
 */
export async function settledSandboxImage(imaging: Promise<SandboxImageOutcome>, checkAbort: () => Promise<void>): Promise<SandboxImageResult | undefined> {
  const imaged = await imaging;
  await checkAbort();
  if (imaged.error) throw imaged.error;
  return imaged.image;
}

/** Where the image is cached: CACHE/sandbox-image/bookworm-vN.img. */
export function sandboxImagePath(cacheDir: string): string {
  return join(cacheDir, 'sandbox-image', `${SUITE}-v${SANDBOX_IMAGE_VERSION}.img`);
}

/** The cached image (built on first use), at sandboxImagePath. */
export async function ensureSandboxImage(cacheDir: string, progress: Progress, signal: AbortSignal, proxy?: string): Promise<SandboxImageResult> {
  const parent = join(cacheDir, 'sandbox-image');
  const path = sandboxImagePath(cacheDir);
  if (existsSync(path)) return { path, built: false, ms: 0, bytes: (await stat(path)).size };
  const start = Date.now();
  await mkdir(parent, { recursive: true });
  await cleanAbandonedBuilds(parent);
  const tmp = join(parent, `.tmp-image-${process.pid}`);
  const mirror = hostMirrors().debian;
  progress.step(`sandbox image: Debian kernel + busybox from ${mirror}${proxy ? ` through ${proxy}` : ''} (first run only)`);
  let built: boolean;
  try {
    const root = join(tmp, 'root');
    await runDebootstrap(root, SANDBOX_IMAGE_PACKAGES, mirror, progress, signal, { foreign: true, ...(proxy ? { proxy } : {}), keepLogAt: join(parent, 'last-debootstrap.log') });
    await unpackPackages(root);
    const out = join(tmp, 'sandbox.img');
    await buildImage(root, join(tmp, 'work'), out);
    // Another `up` may have published its image meanwhile: its lab may run on it, so it stays.
    built = await publishFile(out, path);
  } finally {
    await unmountUnder(tmp);
    await rm(tmp, { recursive: true, force: true });
  }
  return { path, built, ms: Date.now() - start, bytes: (await stat(path)).size };
}

/** debootstrap --foreign downloaded the packages; unpack the ones the build uses. */
async function unpackPackages(root: string): Promise<void> {
  const archives = join(root, 'var/cache/apt/archives');
  const debs = await readdir(archives);
  const wanted = [/^linux-image-\d[^_]*-amd64_/, /^busybox-static_/, /^syslinux_/, /^mtools_/, /^dosfstools_/];
  for (const re of wanted) {
    const deb = debs.find((d) => re.test(d));
    if (!deb) throw new LabError(`sandbox image: no package matching ${re} was downloaded`, 'check that the Debian mirror has linux-image-amd64, busybox-static, syslinux, mtools and dosfstools');
    await execa('dpkg-deb', ['-x', join(archives, deb), root]);
  }
}

async function findFile(dir: string, name: string): Promise<string | undefined> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      const hit = await findFile(p, name);
      if (hit) return hit;
    } else if (e.name === name) return p;
  }
  return undefined;
}

/** initramfs (busybox, init, virtio modules) + kernel on a FAT disk made bootable with SYSLINUX, all without mounting anything. */
async function buildImage(root: string, work: string, out: string): Promise<void> {
  const kernels = (await readdir(join(root, 'boot'))).filter((f) => f.startsWith('vmlinuz-'));
  if (kernels.length !== 1) throw new LabError(`sandbox image: expected one kernel in the package, found ${kernels.length}`, 'remove the sandbox-image cache and run again');
  const release = kernels[0]!.slice('vmlinuz-'.length);
  const initramfs = join(work, 'initramfs');
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'run', 'tmp', 'root', 'lib/modules', 'usr/share/udhcpc']) await mkdir(join(initramfs, d), { recursive: true });
  await copyFile(join(root, 'bin/busybox'), join(initramfs, 'bin/busybox'));
  await chmod(join(initramfs, 'bin/busybox'), 0o755);
  for (const m of GUEST_MODULES) {
    const ko = await findFile(join(root, 'lib/modules', release), `${m}.ko`);
    if (!ko) throw new LabError(`sandbox image: kernel ${release} has no module ${m}`, 'the image expects Debian 12\'s kernel packaging');
    await copyFile(ko, join(initramfs, 'lib/modules', `${m}.ko`));
  }
  await writeFile(join(initramfs, 'init'), INIT, { mode: 0o755 });
  await writeFile(join(initramfs, 'etc/inittab'), INITTAB);
  await writeFile(join(initramfs, 'usr/share/udhcpc/default.script'), DHCP_SCRIPT, { mode: 0o755 });
  // busybox's own cpio; the file list in sorted order so the archive is reproducible.
  const initrd = join(work, 'initrd.gz');
  await execa('sh', ['-c', 'find . | sort | "$0" cpio -o -H newc 2>/dev/null | gzip -9n > "$1"', join(root, 'bin/busybox'), initrd], { cwd: initramfs });
  const vmlinuz = join(work, 'vmlinuz');
  await copyFile(join(root, 'boot', kernels[0]!), vmlinuz);
  const cfg = join(work, 'syslinux.cfg');
  await writeFile(cfg, SYSLINUX_CFG);
  const payload = (await stat(vmlinuz)).size + (await stat(initrd)).size;
  const sizeKiB = Math.ceil(payload / 1024) + 2048;
  // The unpacked tools run on this machine directly (they need only libc); syslinux finds mtools on PATH.
  const env = { PATH: `${join(root, 'usr/bin')}:${join(root, 'sbin')}:${join(root, 'usr/sbin')}:${process.env.PATH ?? '/usr/bin:/bin'}`, MTOOLS_SKIP_CHECK: '1' };
  await execa(join(root, 'sbin/mkfs.fat'), ['-C', '-n', 'SANDBOX', out, String(sizeKiB)], { env });
  await execa(join(root, 'usr/bin/mcopy'), ['-i', out, vmlinuz, initrd, cfg, '::/'], { env });
  await execa(join(root, 'usr/bin/syslinux'), ['--install', out], { env });
}
