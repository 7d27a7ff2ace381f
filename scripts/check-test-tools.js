// Before the unit tests: the few system tools they compare against (real shells for quoting,
// OpenSSH's ssh-keygen for fingerprints and hashed known_hosts, Ansible for the inventories gridops writes),
// and, as root only, the ones of the tests that build network namespaces and load nftables rules in
// them (as anyone else those tests are skipped). One clear line if one is missing.
import { spawnSync } from 'node:child_process';

const everyone = { 'ssh-keygen': 'openssh-client', dash: 'dash', bash: 'bash', 'ansible-inventory': 'ansible' };
const rootOnly = { nft: 'nftables', ip: 'iproute2', sysctl: 'procps', unshare: 'util-linux' };
const tools = { ...everyone, ...(process.getuid?.() === 0 ? rootOnly : {}) };
const missing = Object.entries(tools).filter(([tool]) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
if (missing.length) {
  console.error(`the tests need ${missing.map(([t]) => t).join(', ')}: apt-get install -y ${[...new Set(missing.map(([, p]) => p))].join(' ')}`);
  process.exit(1);
}
