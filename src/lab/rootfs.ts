import { execa } from 'execa';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InterruptedError, LabError } from '../errors/index.js';
import { publishBuild } from './publish-build.js';
import type { Progress } from './progress.js';
import { unmountUnder } from './sys.js';

export const SUITE = 'bookworm';
/** Bumped whenever the customisation below changes, so an old cache is rebuilt rather than trusted. */
export const ROOTFS_VERSION = 2;

/** Packages of a node: a freshly installed minimal server (systemd, sshd), python-free. */
export const NODE_PACKAGES = ['systemd', 'systemd-sysv', 'dbus', 'openssh-server', 'kmod', 'iproute2'];
/**
 * The packages gridops' own playbooks install on a node (hypervisor, agent), downloaded into the
 * image's apt cache when it is built, never installed: a node's `apt-get install` then finds the
 * .debs it would fetch (same versions, checked by apt) and only installs them. The download is paid
 * once per machine, while the sandbox image builds, instead of once per lab through its fresh proxy
 * (on the first demo that was most of the first batch's 193 s). A unit test keeps this list equal
 * to the playbooks' packages.
 */
export const PREFETCHED_PACKAGES = ['libvirt-daemon-system', 'libvirt-clients', 'qemu-system-x86', 'qemu-utils', 'dnsmasq-base', 'nftables', 'nodejs'];
/** The VM also boots a real kernel. */
export const VM_EXTRA_PACKAGES = ['linux-image-amd64', 'udev', 'e2fsprogs'];

export interface Mirrors {
  debian: string;
  security: string;
}

/**
 * The machine's own Debian mirrors (http only: nodes reach them through the lab's caching proxy,
 * which cannot tunnel https). Falls back to deb.debian.org.
 */
export function hostMirrors(): Mirrors {
  const files: string[] = [];
  if (existsSync('/etc/apt/sources.list')) files.push('/etc/apt/sources.list');
  try {
    for (const f of readdirSync('/etc/apt/sources.list.d')) files.push(join('/etc/apt/sources.list.d', f));
  } catch {
    /* none */
  }
  const texts: string[] = [];
  for (const f of files) {
    try {
      texts.push(readFileSync(f, 'utf8'));
    } catch {
      /* unreadable: skip */
    }
  }
  return parseMirrors(texts);
}

/** Picks the http Debian mirrors for the suite and its security suite from apt source files (one-line or deb822). Pure. */
export function parseMirrors(texts: readonly string[]): Mirrors {
  const uris: string[] = [];
  for (const text of texts) {
    for (const line of text.split('\n')) {
      const deb = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(http:\/\/\S+)\s+(bookworm\S*)/.exec(line);
      if (deb) uris.push(`${deb[1]} ${deb[2]}`);
    }
    // deb822: a URIs line and a Suites line in the same stanza.
    for (const stanza of text.split(/\n\s*\n/)) {
      const u = /^URIs:\s*(http:\/\/\S+)/m.exec(stanza);
      const s = /^Suites:\s*(.+)$/m.exec(stanza);
      if (u && s) for (const suite of s[1]!.trim().split(/\s+/)) uris.push(`${u[1]} ${suite}`);
    }
  }
  const pick = (suite: string) => uris.find((x) => x.endsWith(` ${suite}`))?.split(' ')[0]?.replace(/\/$/, '');
  return { debian: pick(SUITE) ?? 'http://deb.debian.org/debian', security: pick(`${SUITE}-security`) ?? 'http://deb.debian.org/debian-security' };
}

/** sources.list for a node: the machine's mirrors (reached through the proxy configured separately). */
export function sourcesList(m: Mirrors): string {
  return [`deb ${m.debian} ${SUITE} main`, `deb ${m.debian} ${SUITE}-updates main`, `deb ${m.security} ${SUITE}-security main`, ''].join('\n');
}

/** The index files that a node's `apt-get update` fetches first, one per line of sourcesList. */
export function suiteIndexUrls(m: Mirrors): string[] {
  return [`${m.debian}/dists/${SUITE}/InRelease`, `${m.debian}/dists/${SUITE}-updates/InRelease`, `${m.security}/dists/${SUITE}-security/InRelease`];
}

/** apt.conf.d snippet sending every http download through the lab's caching proxy. */
export function aptProxyConf(address: string, port: number): string {
  // A stalled upstream fetch fails after 30 s and is retried, instead of hanging an install.
  return `// Written by gridops lab: nodes reach Debian only through the lab's caching proxy.\nAcquire::http::Proxy "http://${address}:${port}";\nAcquire::https::Proxy "false";\nAcquire::http::Timeout "30";\nAcquire::Retries "5";\n`;
}

/**
 * The container's PID 1 wrapper. nspawn mounts the v1 cgroup controllers read-only, so limits set
 * by systemd inside would silently not apply; remounting them read-write (the launcher already
 * placed the container in its own cgroups) makes them real. /dev/kvm is created for libvirt.
 */
export const CONTAINER_INIT = `#!/bin/sh
# gridops lab: container init wrapper (see docs/lab.md)
for c in cpu cpuacct memory pids blkio cpuset devices freezer; do
  [ -d /sys/fs/cgroup/$c ] && mount -o remount,bind,rw /sys/fs/cgroup/$c 2>/dev/null
done
if ! mount -o remount,bind,rw /proc/sys/net 2>/dev/null; then
  mount --bind /proc/sys/net /proc/sys/net && mount -o remount,bind,rw /proc/sys/net
fi
[ -e /dev/kvm ] || mknod -m 660 /dev/kvm c 10 232
grep -q '^kvm:' /etc/group && chgrp kvm /dev/kvm 2>/dev/null
exec /lib/systemd/systemd "$@"
`;

export const SSHD_DROPIN = `# gridops lab: one ed25519 host key per node, key-only root login.
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
`;

export interface RootfsResult {
  path: string;
  built: boolean;
  ms: number;
}

/**
 * Runs debootstrap into a temporary directory (caller finishes and renames). Its log is in that
 * directory, which the caller removes on failure: a failed run copies it to `keepLogAt` first,
 * and its hint names that copy.
 */
async function debootstrap(tmp: string, packages: string[], mirror: string, progress: Progress, signal: AbortSignal, options: { foreign?: boolean; proxy?: string; keepLogAt: string }): Promise<void> {
  const args = ['--variant=minbase', ...(options.foreign ? ['--foreign'] : []), `--include=${packages.join(',')}`, SUITE, tmp, mirror];
  const keepLog = () => copyFile(join(tmp, 'debootstrap/debootstrap.log'), options.keepLogAt).then(() => true, () => false);
  await runTreeBuilder('debootstrap', args, progress, signal, options.proxy, async () => `check that ${mirror} is reachable${(await keepLog()) ? `; debootstrap's full log is kept in ${options.keepLogAt}` : ''}`);
}

/**
 * Builds the node rootfs with mmdebstrap: apt resolves and downloads the packages in parallel and
 * dpkg runs a few times rather than once per package, so the same tree takes about half of
 * debootstrap's time (35 s against 68 s for the node rootfs on this machine, one after the other),
 * on the critical path of a first `lab up`. The result is the same minbase tree.
 */
async function mmdebstrap(tmp: string, packages: string[], mirror: string, progress: Progress, signal: AbortSignal): Promise<void> {
  const args = ['--mode=root', '--variant=minbase', `--include=${packages.join(',')}`, SUITE, tmp, mirror];
  await runTreeBuilder('mmdebstrap', args, progress, signal, undefined, async () => `check that ${mirror} is reachable; run \`mmdebstrap ${args.join(' ')}\` by hand to see its whole output`);
}

/** Runs a Debian tree builder in its own process group, with one progress line per stage; `failureHint` says what to look at when it fails. */
async function runTreeBuilder(tool: 'debootstrap' | 'mmdebstrap', args: string[], progress: Progress, signal: AbortSignal, proxy: string | undefined, failureHint: () => Promise<string>): Promise<void> {
  // Its own process group, so an interrupt ends the builder *and* the dpkg/apt/wget it runs, at once.
  const child = execa(tool, args, { reject: false, all: true, stdin: 'ignore', detached: true, ...(proxy ? { env: { http_proxy: proxy } } : {}) });
  const killGroup = (sig: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, sig);
    } catch {
      /* already gone */
    }
  };
  const onAbort = () => {
    killGroup('SIGTERM');
    setTimeout(() => killGroup('SIGKILL'), 2000).unref();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  let last = '';
  let lastVerb = '';
  let lastShown = 0;
  let count = 0;
  child.all?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      const l = line.trim();
      if (!l) continue;
      last = l;
      if (!l.startsWith('I: ')) continue;
      count++;
      // One line per stage (Retrieving, Extracting, Installing, Configuring...) and a heartbeat, not one per package.
      const verb = l.slice(3).split(' ')[0]!;
      if (verb !== lastVerb || Date.now() - lastShown > 5000) {
        progress.detail(`${tool}: ${l.slice(3)}${verb === lastVerb ? ` (${count} steps)` : ''}`);
        lastVerb = verb;
        lastShown = Date.now();
      }
    }
  });
  const r = await child.finally(() => signal.removeEventListener('abort', onAbort));
  if (signal.aborted) {
    killGroup('SIGKILL');
    throw new InterruptedError('interrupted while building the rootfs; nothing was cached', 'run `gridops lab up` again');
  }
  // Not started at all (no exit code): a missing tool, not a mirror problem.
  if (r.code === 'ENOENT') throw new LabError(`${tool} is not installed (apt-get install ${tool})`, `apt-get install -y ${tool}, then run again`);
  if (r.exitCode !== 0) throw new LabError(`${tool} failed (exit ${r.exitCode ?? r.code ?? 'unknown'}): ${last}`, await failureHint());
}

/** Removes abandoned temporary build directories (an interrupted debootstrap), unmounting what it left mounted. */
export async function cleanAbandonedBuilds(parent: string): Promise<string[]> {
  const removed: string[] = [];
  let entries: string[] = [];
  try {
    entries = await readdir(parent);
  } catch {
    return removed;
  }
  for (const e of entries) {
    const m = /^\.tmp-.*-(\d+)$/.exec(e);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid !== process.pid && existsSync(`/proc/${pid}`) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('node')) continue; // another build is running
    const p = join(parent, e);
    await unmountUnder(p);
    await rm(p, { recursive: true, force: true });
    removed.push(p);
  }
  return removed;
}

/**
 * The shared node rootfs, built once with mmdebstrap and cached. Built in a temporary directory
 * and renamed at the end, so an interrupted build is never mistaken for a cache.
 */
export async function ensureContainerRootfs(cacheDir: string, progress: Progress, signal: AbortSignal): Promise<RootfsResult> {
  const parent = join(cacheDir, 'rootfs');
  const path = join(parent, `${SUITE}-v${ROOTFS_VERSION}`);
  if (existsSync(join(path, '.gridops-rootfs'))) return { path, built: false, ms: 0 };
  const start = Date.now();
  await mkdir(parent, { recursive: true });
  await cleanAbandonedBuilds(parent);
  const tmp = join(parent, `.tmp-${SUITE}-v${ROOTFS_VERSION}-${process.pid}`);
  const mirrors = hostMirrors();
  progress.step(`rootfs: mmdebstrap ${SUITE} from ${mirrors.debian} (first run only, under a minute)`);
  let built: boolean;
  try {
    await mmdebstrap(tmp, NODE_PACKAGES, mirrors.debian, progress, signal);
    await customizeRootfs(tmp, mirrors);
    await speedUpPackageInstalls(tmp);
    progress.detail(`rootfs: downloading (not installing) ${PREFETCHED_PACKAGES.join(' ')} into the image's apt cache`);
    await prefetchPackages(tmp, PREFETCHED_PACKAGES, signal);
    await writeFile(join(tmp, '.gridops-rootfs'), JSON.stringify({ suite: SUITE, version: ROOTFS_VERSION, mirrors, builtAt: new Date().toISOString() }) + '\n');
    built = await publishBuild(tmp, path, '.gridops-rootfs');
  } catch (err) {
    await unmountUnder(tmp);
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return { path, built, ms: Date.now() - start };
}

/** Makes a debootstrapped tree a lab node image: no shared identity, lab sshd settings, lab apt sources. */
export async function customizeRootfs(root: string, mirrors: Mirrors): Promise<void> {
  // Identity is per node (written into each node's upper dir), never shared through the image.
  for (const f of await readdir(join(root, 'etc/ssh'))) if (f.startsWith('ssh_host_')) await rm(join(root, 'etc/ssh', f));
  await writeFile(join(root, 'etc/machine-id'), '');
  await rm(join(root, 'var/lib/dbus/machine-id'), { force: true });
  await writeFile(join(root, 'etc/hostname'), 'localhost\n');
  await mkdir(join(root, 'usr/local/sbin'), { recursive: true });
  await writeFile(join(root, 'usr/local/sbin/gridops-lab-init'), CONTAINER_INIT, { mode: 0o755 });
  await mkdir(join(root, 'etc/ssh/sshd_config.d'), { recursive: true });
  await writeFile(join(root, 'etc/ssh/sshd_config.d/10-gridops-lab.conf'), SSHD_DROPIN);
  await writeFile(join(root, 'etc/apt/sources.list'), sourcesList(mirrors));
  await rm(join(root, 'var/cache/apt'), { recursive: true, force: true });
  await mkdir(join(root, 'var/cache/apt/archives/partial'), { recursive: true });
}

/**
 * A lab node is disposable: dpkg skips its fsync per file (Debian's own container images do the
 * same), and apt fetches no translations. Installing libvirt, QEMU and Node.js on six containers
 * at once is what a first demo apply spends most of its time on.
 */
async function speedUpPackageInstalls(root: string): Promise<void> {
  await mkdir(join(root, 'etc/dpkg/dpkg.cfg.d'), { recursive: true });
  await writeFile(join(root, 'etc/dpkg/dpkg.cfg.d/01gridops-lab-unsafe-io'), '# gridops lab: disposable nodes, no fsync per unpacked file\nforce-unsafe-io\n');
  await writeFile(join(root, 'etc/apt/apt.conf.d/01gridops-lab-no-languages'), '// gridops lab: no translation indexes\nAcquire::Languages "none";\n');
}

/**
 * `apt-get install --download-only` inside the image (the host's resolver borrowed for the time
 * of it): the .debs land in /var/cache/apt/archives, the package lists are dropped again (a node
 * fetches fresh ones before it installs), and nothing is installed.
 */
async function prefetchPackages(root: string, packages: readonly string[], signal: AbortSignal): Promise<void> {
  const resolv = join(root, 'etc/resolv.conf');
  await rm(resolv, { force: true });
  await copyFile('/etc/resolv.conf', resolv).catch(() => undefined);
  try {
    for (const args of [['update', '-q'], ['install', '--download-only', '-y', '-q', '--no-install-recommends', ...packages]]) {
      const r = await execa('chroot', [root, 'apt-get', ...args], { reject: false, all: true, stdin: 'ignore', cancelSignal: signal, env: { DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' } });
      if (signal.aborted) throw new InterruptedError('interrupted while building the rootfs; nothing was cached', 'run `gridops lab up` again');
      if (r.exitCode !== 0) throw new LabError(`rootfs: apt-get ${args[0]} in the image failed (exit ${r.exitCode}): ${(r.all ?? '').trim().split('\n').slice(-3).join(' | ')}`, 'check that the Debian mirror is reachable, then run `gridops lab up` again');
    }
  } finally {
    await rm(join(root, 'var/lib/apt/lists'), { recursive: true, force: true });
    await mkdir(join(root, 'var/lib/apt/lists/partial'), { recursive: true });
    await rm(resolv, { force: true });
  }
}

export { debootstrap as runDebootstrap };
