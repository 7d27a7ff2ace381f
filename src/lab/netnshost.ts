import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LabError } from '../errors/index.js';
import { cmdline, pidAlive, pidsInNetns, spawnDetached, terminate } from './sys.js';
import type { NodeState } from './types.js';

/**
 * Light hosts: a network namespace, a private mount namespace whose /etc /opt /usr /var /root
 * /srv /home are overlays of the machine's own (writes stay per host), a private /run, its own
 * hostname, and one sshd. About a megabyte each; for scale tests of 50 to 500 hosts.
 */

export const OVERLAID = ['etc', 'opt', 'usr', 'var', 'root', 'srv', 'home'];

/** Constant script; the run dir and name arrive as arguments. Ends by exec'ing sshd, so the spawned PID is sshd's. */
const NETNS_INIT = `set -e
run=$1; name=$2
for d in ${OVERLAID.join(' ')}; do
  [ -d "/$d" ] || continue
  mount -t overlay "gridops-lab" -o "lowerdir=/$d,upperdir=$run/upper/$d,workdir=$run/work/$d" "/$d"
done
mount -t sysfs sysfs /sys 2>/dev/null || true
mount -t tmpfs -o mode=755,size=16m gridops-lab-run /run
mkdir -p /run/sshd
hostname "$name"
# The machine's extra apt sources (https, third parties) are unreachable from the lab; hide them.
for f in /etc/apt/sources.list.d/*; do [ -e "$f" ] && rm -f "$f"; done
exec /usr/sbin/sshd -D -e -f /etc/ssh/gridops-lab-sshd_config
`;

export function netnsSshdConfig(address: string): string {
  return `# gridops lab light host
ListenAddress ${address}
Port 22
HostKey /etc/ssh/ssh_host_ed25519_key
PidFile none
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
PrintMotd no
AuthorizedKeysFile .ssh/authorized_keys
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
MaxStartups 100:30:200
`;
}

/** Upper dirs, work dirs, skeleton dotfiles (the machine's own ~/.bashrc may be slow) and the sshd config. */
export async function prepareNetnsHost(node: NodeState): Promise<void> {
  for (const d of OVERLAID) {
    await mkdir(join(node.dir, 'upper', d), { recursive: true, mode: d === 'root' ? 0o700 : 0o755 });
    await mkdir(join(node.dir, 'work', d), { recursive: true });
  }
  const rootHome = join(node.dir, 'upper/root');
  for (const f of ['.bashrc', '.profile']) {
    const skel = join('/etc/skel', f);
    if (existsSync(skel)) await copyFile(skel, join(rootHome, f));
  }
  await mkdir(join(node.dir, 'upper/etc/ssh'), { recursive: true });
  await writeFile(join(node.dir, 'upper/etc/ssh/gridops-lab-sshd_config'), netnsSshdConfig(node.address));
}

export async function startNetnsHost(node: NodeState): Promise<number> {
  const log = join(node.dir, 'sshd.log');
  const pid = spawnDetached(
    'nsenter',
    [`--net=/run/netns/${node.netns}`, '--', 'unshare', '--uts', '--mount', '--propagation', 'private', '--', 'sh', '-c', NETNS_INIT, 'gridops-lab-host', node.dir, node.name],
    log,
  );
  if (!pid) throw new LabError(`${node.name}: could not start its sshd`, `see ${log}`);
  node.pid = pid;
  node.log = log;
  return pid;
}

export function netnsHostAlive(node: NodeState): boolean {
  return pidAlive(node.pid) && cmdline(node.pid!).includes('gridops-lab-sshd_config') && pidsInNetns(node.netns).includes(node.pid!);
}

/** Ends the host's sshd and every process in its namespace (sessions), by PID. Its mounts die with its mount namespace. */
export async function stopNetnsHost(node: NodeState): Promise<number> {
  const pids = pidsInNetns(node.netns);
  if (!pids.length) return 0;
  await terminate(pids, 2000);
  return pids.length;
}

/** Readable log tail, for errors. */
export function logTail(path: string | undefined, lines = 3): string {
  if (!path) return '';
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-lines).join(' | ');
  } catch {
    return '';
  }
}
