#!/usr/bin/env node
// gridops vs Ansible (the peer, from Debian) on the same netns lab hosts, in one run:
// the 3-task work of TESTBED.md section 5 (template, line in file, command), first run and
// no-change run, on 10 and 50 hosts; plus a no-change `gridops plan` of 50 hosts.
// Needs root (it brings up its own lab) and `apt-get install ansible`. Prints times and ratios.
import { spawnSync, spawn } from 'node:child_process';
import { writeFileSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const bin = `${root}bin/run.js`;
const dir = process.env.GRIDOPS_BENCH_LAB ?? '/tmp/gridops-bench-lab';
const sizes = (process.env.GRIDOPS_BENCH_SIZES ?? '10,50').split(',').map(Number);
const maxHosts = Math.max(...sizes);

function run(cmd, args, env = {}) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  return s;
}

async function resetHosts(addresses) {
  await Promise.all(addresses.map((a) => new Promise((resolve) => {
    const p = spawn('ssh', ['-i', `${dir}/id_ed25519`, '-o', `UserKnownHostsFile=${dir}/known_hosts`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', `root@${a}`, 'rm -f /etc/gridops-bench-motd /etc/gridops-bench.conf /var/tmp/gridops-bench-ran-marker']);
    p.on('exit', resolve);
  })));
}

if (process.getuid?.() !== 0) {
  console.error('bench/provision: needs root (it builds a netns lab); skipped');
  process.exit(0);
}
if (spawnSync('ansible-playbook', ['--version']).status !== 0) {
  console.error('bench/provision: ansible-playbook not found: apt-get install -y ansible');
  process.exit(1);
}

console.log(`bringing up ${maxHosts} netns lab hosts in ${dir}`);
run(bin, ['lab', 'up', '--kind', 'netns', '--nodes', String(maxHosts), '--dir', dir]);
const topology = `${dir}/topology.yaml`;
const nodes = [...readFileSync(topology, 'utf8').matchAll(/name: (node-\d+), address: ([\d.]+)/g)].map((m) => ({ name: m[1], address: m[2] }));

const inventory = `${dir}/bench-inventory.ini`;
writeFileSync(
  inventory,
  `[all]\n${nodes.map((n) => `${n.name} ansible_host=${n.address}`).join('\n')}\n[all:vars]\nansible_user=root\nansible_python_interpreter=/usr/bin/python3\nansible_ssh_private_key_file=${dir}/id_ed25519\nansible_ssh_common_args='-o UserKnownHostsFile=${dir}/known_hosts -o StrictHostKeyChecking=yes'\nregion=region-1\nsubgrid=subgrid-1\n`,
);
const ansibleEnv = { ANSIBLE_PIPELINING: '1', ANSIBLE_SSH_ARGS: '-o ControlMaster=auto -o ControlPersist=60s', ANSIBLE_FORKS: '50', ANSIBLE_HOST_KEY_CHECKING: 'True', ANSIBLE_STDOUT_CALLBACK: 'minimal', ANSIBLE_LOCALHOST_WARNING: 'False' };
const playbook = `${root}bench/provision/three-tasks.yaml`;
const ansiblePlaybook = `${root}bench/provision/three-tasks.ansible.yaml`;

const rows = [];
try {
  for (const n of sizes) {
    const hosts = nodes.slice(0, n);
    const limit = hosts.map((h) => h.name).join(',');
    const addresses = hosts.map((h) => h.address);
    await resetHosts(addresses);
    const gFirst = run(bin, ['apply', topology, '--yes', '--playbook', playbook, '--limit', limit]);
    const gNoChange = run(bin, ['apply', topology, '--yes', '--playbook', playbook, '--limit', limit]);
    const gPlan = run(bin, ['plan', topology, '--detailed-exitcode', '--playbook', playbook, '--limit', limit]);
    await resetHosts(addresses);
    const aFirst = run('ansible-playbook', ['-i', inventory, '--limit', limit, ansiblePlaybook], ansibleEnv);
    const aNoChange = run('ansible-playbook', ['-i', inventory, '--limit', limit, ansiblePlaybook], ansibleEnv);
    rows.push({ hosts: n, gFirst, gNoChange, gPlan, aFirst, aNoChange });
  }
} finally {
  spawnSync(bin, ['lab', 'down', '--dir', dir], { stdio: 'ignore' });
  rmSync(inventory, { force: true });
}

const f = (s) => `${s.toFixed(2)} s`;
console.log('\nprovisioning: the 3-task work, gridops vs ansible-playbook (same hosts, same run)');
console.log('hosts | gridops first | ansible first | ratio | gridops no-change | ansible no-change | ratio | gridops plan (no change)');
for (const r of rows) {
  console.log(`${String(r.hosts).padStart(5)} | ${f(r.gFirst).padStart(13)} | ${f(r.aFirst).padStart(13)} | ${(r.aFirst / r.gFirst).toFixed(1).padStart(4)}x | ${f(r.gNoChange).padStart(17)} | ${f(r.aNoChange).padStart(17)} | ${(r.aNoChange / r.gNoChange).toFixed(1).padStart(4)}x | ${f(r.gPlan)}`);
}
console.log('(ratio = ansible time / gridops time; times are wall clock of the whole CLI, start-up included)');
