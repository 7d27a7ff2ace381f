// Before the unit tests: the few system tools they compare against (real shells for quoting,
// OpenSSH's ssh-keygen for fingerprints and hashed known_hosts, Ansible for the inventories gridops writes,
// pgrep and pkill to find and end the processes a test left), and, as root only, the ones of the tests
// that build network namespaces and load nftables rules in them, or start a real sshd (as anyone else
// those tests are skipped). As root with apt-get, a missing one is installed; else one clear line naming it.
import { spawnSync } from 'node:child_process';

const everyone = { 'ssh-keygen': 'openssh-client', dash: 'dash', bash: 'bash', 'ansible-inventory': 'ansible', pgrep: 'procps', pkill: 'procps' };
// sshd by its path: the tests start /usr/sbin/sshd itself (test/transport/sshd-harness.ts), whatever PATH says.
const rootOnly = { nft: 'nftables', ip: 'iproute2', sysctl: 'procps', unshare: 'util-linux', '/usr/sbin/sshd': 'openssh-server' };
const tools = { ...everyone, ...(process.getuid?.() === 0 ? rootOnly : {}) };
// dash's `command -v` finds a path that merely exists; a path must be a program to run.
const found = (tool) => spawnSync('sh', ['-c', tool.startsWith('/') ? `test -x ${tool}` : `command -v ${tool}`]).status === 0;
const packagesFor = (missing) => [...new Set(missing.map(([, p]) => p))];
let missing = Object.entries(tools).filter(([tool]) => !found(tool));
// As root on Debian, the packages are installed here, as the demo installs its own: the README's
// `npm ci && npm test` then passes on a fresh machine. As anyone else, the apt-get line to run.
if (missing.length && process.getuid?.() === 0 && found('apt-get')) {
  const packages = packagesFor(missing);
  console.error(`the tests need ${missing.map(([t]) => t).join(', ')}: installing ${packages.join(' ')}`);
  const apt = (args) => spawnSync('apt-get', args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
  const installed = apt(['update', '-q']) && apt(['install', '-y', '-q', '--no-install-recommends', ...packages]);
  // The sshd the package starts on port 22 of every address: the tests start their own (the script
  // says why). Stopped whenever the package got as far as placing sshd, even where apt failed on
  // another package afterwards: its install script may already have started and enabled it.
  if (packages.includes('openssh-server') && found('/usr/sbin/sshd')) spawnSync('bash', [new URL('stop-system-service.sh', import.meta.url).pathname, 'ssh'], { stdio: 'inherit' });
  missing = missing.filter(([tool]) => !found(tool));
  // An install that stopped half-way leaves dpkg to finish first, or the apt-get line below fails too.
  if (!installed && missing.length) console.error('apt-get failed: if it stopped half-way, run `dpkg --configure -a` first');
}
if (missing.length) {
  console.error(`the tests need ${missing.map(([t]) => t).join(', ')}: apt-get install -y ${packagesFor(missing).join(' ')}`);
  process.exit(1);
}
