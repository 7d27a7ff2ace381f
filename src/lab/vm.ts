import { existsSync, readdirSync } from 'node:fs';
import { copyFile, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LabError } from '../errors/index.js';
import { publishBuild } from './publish-build.js';
import { type NodeIdentity, writeIdentity } from './identity.js';
import type { Progress } from './progress.js';
import { cleanAbandonedBuilds, customizeRootfs, hostMirrors, type Mirrors, NODE_PACKAGES, runDebootstrap, SUITE, VM_EXTRA_PACKAGES } from './rootfs.js';
import { cmdline, pidAlive, run, spawnDetached, terminate, unmountUnder } from './sys.js';
import type { LabPlan, NodeState } from './types.js';

/**
 * VM nodes: a qemu TCG machine booting Debian's own kernel, the one place in the lab where kernel
 * modules load and cgroup v2 is the real thing. The image is built once and cached; each VM gets
 * a qcow2 overlay of it (its writes) and a tiny seed disk with its identity.
 */

export const VM_IMAGE_VERSION = 2;
export const VM_MEMORY_MB = 512;
export const VM_SSH_TIMEOUT_MS = 150_000;

/** Applies the node's seed disk early at boot: identity files, then its address. Constant; values are read from files. */
const SEED_SCRIPT = `#!/bin/sh
# gridops lab: apply this VM's identity from its seed disk (/dev/vdb), before sshd starts.
# The disk's driver is in the initrd, so its node exists before udev has settled; no waiting on udev.
set -e
seed=/run/gridops-lab-seed
for i in $(seq 1 100); do [ -b /dev/vdb ] && break; sleep 0.1; done
mkdir -p $seed
mount -o ro /dev/vdb $seed
cp -a $seed/root/. /
chmod 600 /etc/ssh/ssh_host_ed25519_key
for i in $(seq 1 100); do [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done
ip link set lo up
ip addr add "$(cat $seed/net/address)" dev eth0 2>/dev/null || true
ip link set eth0 up
# No default route: multicast needs its own route.
ip route add 224.0.0.0/4 dev eth0 2>/dev/null || true
umount $seed
`;

const SEED_UNIT = `[Unit]
Description=gridops lab: node identity and address from the seed disk
DefaultDependencies=no
After=systemd-remount-fs.service
Before=ssh.service network-pre.target sysinit.target
Wants=network-pre.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/gridops-lab-seed

[Install]
WantedBy=sysinit.target
`;

/** The initrd only needs the virtio disk, network and ext4: a small one unpacks seconds faster under TCG. */
const INITRAMFS_CONF = `# gridops lab VM: only what a virtio q35 guest needs
MODULES=list
`;
const INITRAMFS_MODULES = ['virtio_pci', 'virtio_blk', 'virtio_net', 'ext4', 'crc32c_generic'];

export interface VmImage {
  path: string;
  built: boolean;
  ms: number;
}

function imageDir(cacheDir: string): string {
  return join(cacheDir, 'vm', `${SUITE}-v${VM_IMAGE_VERSION}`);
}

/** The cached VM image (raw ext4, kernel, initrd), built once: debootstrap + kernel, then mkfs.ext4 -d. */
export async function ensureVmImage(cacheDir: string, progress: Progress, signal: AbortSignal): Promise<VmImage> {
  const dir = imageDir(cacheDir);
  if (existsSync(join(dir, '.gridops-image'))) return { path: dir, built: false, ms: 0 };
  const start = Date.now();
  const parent = join(cacheDir, 'vm');
  await mkdir(parent, { recursive: true });
  await cleanAbandonedBuilds(parent);
  const tmp = join(parent, `.tmp-${SUITE}-v${VM_IMAGE_VERSION}-${process.pid}`);
  const root = join(tmp, 'root');
  const mirrors = hostMirrors();
  progress.step(`vm image: debootstrap ${SUITE} with a kernel from ${mirrors.debian} (first run only, about 2 minutes)`);
  let built: boolean;
  try {
    await mkdir(tmp, { recursive: true });
    await runDebootstrap(root, [...NODE_PACKAGES, ...VM_EXTRA_PACKAGES], mirrors.debian, progress, signal, { keepLogAt: join(parent, 'last-debootstrap.log') });
    await customizeRootfs(root, mirrors);
    await customizeVm(root);
    const boot = readdirSync(join(root, 'boot'));
    const vmlinuz = boot.find((f) => f.startsWith('vmlinuz-'));
    const initrd = boot.find((f) => f.startsWith('initrd.img-'));
    if (!vmlinuz || !initrd) throw new LabError('the VM image has no kernel or initrd in /boot', 'debootstrap did not install linux-image-amd64; see the log');
    await copyFile(join(root, 'boot', vmlinuz), join(tmp, 'vmlinuz'));
    await copyFile(join(root, 'boot', initrd), join(tmp, 'initrd.img'));
    progress.detail('vm image: mkfs.ext4 -d (2 GiB, sparse)');
    await run('making the VM disk image', 'mkfs.ext4', ['-q', '-F', '-L', 'gridops-lab', '-d', root, join(tmp, 'disk.img'), '2G']);
    await unmountUnder(root);
    await rm(root, { recursive: true, force: true });
    await writeFile(join(tmp, '.gridops-image'), JSON.stringify({ suite: SUITE, version: VM_IMAGE_VERSION, kernel: vmlinuz, builtAt: new Date().toISOString() }) + '\n');
    built = await publishBuild(tmp, dir, '.gridops-image');
  } catch (err) {
    await unmountUnder(tmp);
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return { path: dir, built, ms: Date.now() - start };
}

async function customizeVm(root: string): Promise<void> {
  // The kernel mounts / rw from its command line; an fstab entry would only add a wait for
  // dev-vda.device and an fsck (12 s under TCG).
  await writeFile(join(root, 'etc/fstab'), '# gridops lab VM: / is mounted rw by the kernel command line\n');
  await writeFile(join(root, 'usr/local/sbin/gridops-lab-seed'), SEED_SCRIPT, { mode: 0o755 });
  await writeFile(join(root, 'etc/systemd/system/gridops-lab-seed.service'), SEED_UNIT);
  const wants = join(root, 'etc/systemd/system/sysinit.target.wants');
  await mkdir(wants, { recursive: true });
  await symlink('/etc/systemd/system/gridops-lab-seed.service', join(wants, 'gridops-lab-seed.service')).catch(() => {});
  // Under TCG every background job costs seconds of boot; apt's daily timers can wait for gridops.
  for (const unit of ['apt-daily.timer', 'apt-daily-upgrade.timer', 'e2scrub_all.timer', 'e2scrub_reap.service', 'getty@tty1.service', 'systemd-fsck-root.service']) {
    await rm(join(root, 'etc/systemd/system', unit), { force: true });
    await symlink('/dev/null', join(root, 'etc/systemd/system', unit));
  }
  await writeFile(join(root, 'etc/initramfs-tools/conf.d/gridops-lab'), INITRAMFS_CONF);
  await writeFile(join(root, 'etc/initramfs-tools/modules'), INITRAMFS_MODULES.join('\n') + '\n');
  await mkdir(join(root, 'proc'), { recursive: true });
  await run('mounting /proc for update-initramfs', 'mount', ['-t', 'proc', 'proc', join(root, 'proc')]);
  try {
    await run('rebuilding the VM initrd', 'chroot', [root, 'update-initramfs', '-u', '-k', 'all'], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
  } finally {
    await unmountUnder(join(root, 'proc'));
  }
}

/** Per-VM disk overlay and seed disk (identity files and address). */
export async function prepareVm(node: NodeState, id: NodeIdentity, lab: { clientPublicKey: string; proxy: { address: string; port: number }; mirrors: Mirrors; plan: LabPlan; nameserver?: string }): Promise<void> {
  const seed = join(node.dir, 'seed');
  await writeIdentity(join(seed, 'root'), id, lab);
  await mkdir(join(seed, 'net'), { recursive: true });
  await writeFile(join(seed, 'net/address'), `${node.address}/${lab.plan.prefixLength}\n`);
  await writeFile(join(seed, 'net/machine-id'), `${id.machineId}\n`);
  await run(`${node.name}: seed disk`, 'mkfs.ext4', ['-q', '-F', '-d', seed, join(node.dir, 'seed.img'), '4M']);
  node.hostKey = id.hostKey.publicKey.trim();
  // machine-id is passed on the kernel command line too, so it is right from the first instant of boot.
  node.machineId = id.machineId;
}

export function qemuArgs(node: NodeState, image: string): string[] {
  const append = ['root=/dev/vda', 'rw', 'console=ttyS0', 'net.ifnames=0', 'quiet', 'mitigations=off', `systemd.hostname=${node.name}`, node.machineId ? `systemd.machine_id=${node.machineId}` : ''].filter(Boolean).join(' ');
  return [
    '-name', `gridops-lab-${node.name},process=gridops-lab-${node.netns}`,
    '-machine', 'q35',
    '-accel', 'tcg,tb-size=128',
    '-cpu', 'max',
    '-m', String(VM_MEMORY_MB),
    '-smp', '1',
    '-nodefaults',
    '-no-user-config',
    '-display', 'none',
    '-serial', `file:${join(node.dir, 'console.log')}`,
    '-kernel', join(image, 'vmlinuz'),
    '-initrd', join(image, 'initrd.img'),
    '-append', append,
    '-drive', `file=${join(node.dir, 'disk.qcow2')},if=virtio,format=qcow2`,
    '-drive', `file=${join(node.dir, 'seed.img')},if=virtio,format=raw,readonly=on`,
    '-netdev', `tap,id=n0,ifname=${node.link},script=no,downscript=no`,
    '-device', `virtio-net-pci,netdev=n0,mac=${node.mac}`,
    '-pidfile', join(node.dir, 'qemu.pid'),
  ];
}

export async function startVm(node: NodeState, image: string, _plan: LabPlan): Promise<number> {
  await run(`${node.name}: disk overlay`, 'qemu-img', ['create', '-q', '-f', 'qcow2', '-b', join(image, 'disk.img'), '-F', 'raw', join(node.dir, 'disk.qcow2')]);
  const log = join(node.dir, 'qemu.log');
  const pid = spawnDetached('qemu-system-x86_64', qemuArgs(node, image), log);
  if (!pid) throw new LabError(`${node.name}: qemu did not start`, `see ${log}`);
  node.pid = pid;
  node.log = join(node.dir, 'console.log');
  return pid;
}

export function vmAlive(node: NodeState): boolean {
  return pidAlive(node.pid) && cmdline(node.pid!).includes(`gridops-lab-${node.name},`) && cmdline(node.pid!).includes(node.link);
}

/** qemu exits at once on SIGTERM; the VM's writes live in its overlay, which `down` deletes. */
export async function stopVm(node: NodeState): Promise<number> {
  if (!vmAlive(node)) return 0;
  await terminate([node.pid!], 3000);
  return 1;
}
