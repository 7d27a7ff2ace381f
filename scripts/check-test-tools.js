// Before the unit tests: the few system tools they compare against (real shells for quoting,
// OpenSSH's ssh-keygen for fingerprints and hashed known_hosts, Ansible for the inventories gridops writes,
// pgrep and pkill to find and end the processes a test left), and, as root only, the ones of the tests
// that build network namespaces and load nftables rules in them, or start a real sshd (as anyone else
// those tests are skipped). One clear line if one is missing.
import { spawnSync } from 'node:child_process';

const everyone = { 'ssh-keygen': 'openssh-client', dash: 'dash', bash: 'bash', 'ansible-inventory': 'ansible', pgrep: 'procps', pkill: 'procps' };
// sshd by its path: the tests start /usr/sbin/sshd itself (test/transport/sshd-harness.ts), whatever PATH says.
const rootOnly = { nft: 'nftables', ip: 'iproute2', sysctl: 'procps', unshare: 'util-linux', '/usr/sbin/sshd': 'openssh-server' };
const tools = { ...everyone, ...(process.getuid?.() === 0 ? rootOnly : {}) };
// dash's `command -v` finds a path that merely exists; a path must be a program to run.
const found = (tool) => spawnSync('sh', ['-c', tool.startsWith('/') ? `test -x ${tool}` : `command -v ${tool}`]).status === 0;
const missing = Object.entries(tools).filter(([tool]) => !found(tool));
if (missing.length) {
  console.error(`the tests need ${missing.map(([t]) => t).join(', ')}: apt-get install -y ${[...new Set(missing.map(([, p]) => p))].join(' ')}`);
  process.exit(1);
}
