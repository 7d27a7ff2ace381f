import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { PreflightError } from '../errors/index.js';
import type { LabKind } from './types.js';
import { cgroupV2Only, v1Controllers } from './sys.js';
import { wildcardListenerOn } from './port-listener.js';
import { PROXY_PORT } from './proxy.js';

/** What preflight looks at; injected so the rules are unit-tested without root. */
export interface MachineFacts {
  platform: NodeJS.Platform;
  uid: number;
  /** Commands found on PATH (only the ones asked about matter). */
  has: (command: string) => boolean;
  /** Mounted cgroup v1 controllers, e.g. ['cpu', 'memory']. */
  v1Controllers: string[];
  /** /sys/fs/cgroup is the unified (v2) hierarchy itself: systemd's default since Debian 11, where v1 controllers cannot be mounted. */
  cgroupV2Only?: boolean;
  memAvailableMiB: number;
  devices: { tun: boolean };
  /** Something listens on the proxy port on every address (Debian's apt-cacher-ng service): the lab's own proxy cannot bind it. */
  proxyPortTaken?: boolean;
}

/** Command -> Debian package providing it. */
const PROVIDERS: Record<string, string> = {
  ip: 'iproute2',
  ssh: 'openssh-client',
  sshd: 'openssh-server',
  'apt-cacher-ng': 'apt-cacher-ng',
  'systemd-nspawn': 'systemd-container',
  debootstrap: 'debootstrap',
  mmdebstrap: 'mmdebstrap',
  nsenter: 'util-linux',
  unshare: 'util-linux',
  'qemu-system-x86_64': 'qemu-system-x86',
  'qemu-img': 'qemu-utils',
  'mkfs.ext4': 'e2fsprogs',
  dnsmasq: 'dnsmasq-base',
  'dpkg-deb': 'dpkg',
};

const NEEDS: Record<LabKind, string[]> = {
  container: ['ip', 'ssh', 'apt-cacher-ng', 'dnsmasq', 'systemd-nspawn', 'debootstrap', 'mmdebstrap', 'nsenter'],
  netns: ['ip', 'ssh', 'sshd', 'apt-cacher-ng', 'dnsmasq', 'nsenter', 'unshare'],
  vm: ['ip', 'ssh', 'apt-cacher-ng', 'dnsmasq', 'debootstrap', 'qemu-system-x86_64', 'qemu-img', 'mkfs.ext4'],
};

/** cgroup v1 controllers that containers need so limits set inside them are enforced. */
export const CONTAINER_CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'pids'];
/** Memory one lab VM takes (guest RAM plus qemu overhead), and what the host keeps for itself. */
export const VM_MEMORY_MIB = 640;
const HOST_RESERVE_MIB = 512;

export interface PreflightProblem {
  message: string;
  hint: string;
}

/** What already runs of the lab being brought up or grown. */
export interface RunningNodes {
  /** Its nodes whose process runs: a repair or a grow only starts the others. */
  running: number;
}

/** Every reason this machine cannot host the requested lab, most fundamental first. Pure. */
export function preflightProblems(kind: LabKind, nodes: number, m: MachineFacts, lab: RunningNodes = { running: 0 }): PreflightProblem[] {
  const out: PreflightProblem[] = [];
  if (m.platform !== 'linux') {
    return [{ message: `gridops lab needs Linux (this is ${m.platform})`, hint: 'run it on a Linux machine or VM (Debian 12 is tested)' }];
  }
  if (m.uid !== 0) {
    out.push({ message: 'gridops lab needs root (it creates network namespaces, bridges, mounts and cgroups)', hint: 'run it again with sudo, or as root' });
  }
  const missing = [...new Set(NEEDS[kind].filter((c) => !m.has(c)).map((c) => PROVIDERS[c]!))];
  if (missing.length) {
    // Debian's apt-cacher-ng package starts its service on port 3142 of every address, which the
    // check below then refuses: the hint stops it in the same line (the lab runs its own).
    const stopService = missing.includes('apt-cacher-ng') ? ' && systemctl disable --now apt-cacher-ng' : '';
    out.push({ message: `missing package${missing.length > 1 ? 's' : ''} for --kind ${kind}: ${missing.join(' ')}`, hint: `apt-get install -y ${missing.join(' ')}${stopService}` });
  }
  if (m.proxyPortTaken) {
    out.push({
      message: `something already listens on port ${PROXY_PORT} on every address (the distribution's apt-cacher-ng service?): the lab's package proxy cannot bind it on its bridge`,
      hint: `systemctl disable --now apt-cacher-ng (the lab runs its own); see \`ss -ltnp 'sport = :${PROXY_PORT}'\``,
    });
  }
  if (kind === 'container') {
    const absent = CONTAINER_CONTROLLERS.filter((c) => !m.v1Controllers.includes(c));
    if (absent.length && m.cgroupV2Only) {
      out.push({
        message: `this machine mounts cgroup v2 only; containers need the cgroup v1 controllers ${absent.join(', ')} to enforce CPU and memory limits`,
        // Controllers v2 holds cannot be mounted as v1 (EBUSY): the machine must boot hybrid.
        hint: 'boot the machine with `systemd.unified_cgroup_hierarchy=0` on the kernel command line (GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub and reboot), or use --kind netns or --kind vm',
      });
    } else if (absent.length) {
      out.push({
        message: `missing cgroup v1 controller${absent.length > 1 ? 's' : ''}: ${absent.join(', ')} (containers need them to enforce CPU and memory limits)`,
        hint: 'mount them (e.g. `mount -t cgroup -o cpu cgroup /sys/fs/cgroup/cpu`), or use --kind netns or --kind vm',
      });
    }
    if (!m.devices.tun) out.push({ message: '/dev/net/tun is missing (nodes need it for libvirt)', hint: 'mknod /dev/net/tun c 10 200' });
  }
  if (kind === 'vm') {
    // MemAvailable already leaves out the memory of the lab's running VMs: only new ones count.
    const running = Math.min(lab.running, nodes);
    const fresh = nodes - running;
    const need = fresh * VM_MEMORY_MIB + HOST_RESERVE_MIB;
    if (fresh > 0 && m.memAvailableMiB < need) {
      const what = running ? `${fresh} new VM${fresh > 1 ? 's' : ''}` : `${nodes} VM${nodes > 1 ? 's' : ''}`;
      const fits = running + Math.floor((m.memAvailableMiB - HOST_RESERVE_MIB) / VM_MEMORY_MIB);
      out.push({ message: `not enough memory for ${what}: ${need} MiB needed, ${m.memAvailableMiB} MiB available`, hint: `use --nodes ${Math.max(1, fits)} or fewer, or free memory` });
    }
  }
  return out;
}

/** What `lab image` runs: debootstrap --foreign downloads the packages, dpkg-deb unpacks them. */
const IMAGE_NEEDS = ['debootstrap', 'dpkg-deb'];

/** Every reason this machine cannot build the sandbox image (`lab image`). Pure. */
export function imagePreflightProblems(m: MachineFacts): PreflightProblem[] {
  if (m.platform !== 'linux') return [{ message: `gridops lab image needs Linux (this is ${m.platform})`, hint: 'run it on a Linux machine or VM (Debian 12 is tested)' }];
  const out: PreflightProblem[] = [];
  if (m.uid !== 0) out.push({ message: 'gridops lab image needs root (debootstrap runs only as root)', hint: 'run it again with sudo, or as root' });
  const missing = [...new Set(IMAGE_NEEDS.filter((c) => !m.has(c)).map((c) => PROVIDERS[c]!))];
  if (missing.length) out.push({ message: `missing package${missing.length > 1 ? 's' : ''} for lab image: ${missing.join(' ')}`, hint: `apt-get install -y ${missing.join(' ')}` });
  return out;
}

/** Throws the first reason `lab image` cannot run here as a PreflightError, before anything is downloaded. */
export function preflightImage(facts: MachineFacts = machineFacts()): void {
  const [first] = imagePreflightProblems(facts);
  if (first) throw new PreflightError(first.message, first.hint);
}

/** Facts about this machine, read cheaply (no process spawned). */
export function machineFacts(): MachineFacts {
  const path = (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin']);
  const has = (cmd: string) =>
    path.some((d) => {
      try {
        accessSync(join(d, cmd), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  let controllers: string[] = [];
  let memAvailableMiB = 0;
  if (process.platform === 'linux') {
    controllers = v1Controllers();
    const m = /MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
    memAvailableMiB = m ? Math.floor(Number(m[1]) / 1024) : 0;
  }
  return { platform: process.platform, uid: process.getuid?.() ?? -1, has, v1Controllers: controllers, cgroupV2Only: process.platform === 'linux' && cgroupV2Only(), memAvailableMiB, devices: { tun: existsSync('/dev/net/tun') }, proxyPortTaken: process.platform === 'linux' && wildcardListenerOn(PROXY_PORT) };
}

/** Throws the first problem as a PreflightError (one line, one hint, exit 1). Nothing is built before this passes. */
export function preflight(kind: LabKind, nodes: number, facts: MachineFacts = machineFacts(), lab: RunningNodes = { running: 0 }): void {
  const [first] = preflightProblems(kind, nodes, facts, lab);
  if (first) throw new PreflightError(first.message, first.hint);
}
