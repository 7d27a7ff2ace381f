// Before the unit tests: the few system tools they compare against (real shells for quoting,
// OpenSSH's ssh-keygen for fingerprints and hashed known_hosts, Ansible for the inventories gridops writes). One clear line if one is missing.
import { spawnSync } from 'node:child_process';

const tools = { 'ssh-keygen': 'openssh-client', dash: 'dash', bash: 'bash', 'ansible-inventory': 'ansible' };
const missing = Object.entries(tools).filter(([tool]) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
if (missing.length) {
  console.error(`the tests need ${missing.map(([t]) => t).join(', ')}: apt-get install -y ${[...new Set(missing.map(([, p]) => p))].join(' ')}`);
  process.exit(1);
}
