#!/usr/bin/env node
// gridops against the SSH floor and against Ansible (the peer, from Debian), on the same netns lab
// hosts, at the same concurrency (50), in one run:
//   - the floor: ssh2 connect + host key check + one exec of `true` per host, from one process
//     (bench/provision/ssh-floor.js), timed as a whole process like the CLIs;
//   - the work floor: the same process, with one exec per host that does the 3-task work blind
//     (each file written to a temp file and moved into place, then the command), under other paths
//     so gridops' runs still find their work to do. A first run cannot cost less over SSH: it is
//     what bounds gridops' first run, and any tool's ratio to Ansible's;
//   - gridops: the 3-task work of TESTBED.md section 5 (template, line in file, command): first
//     apply, no-change apply, no-op plan, with --persist (connections kept by the keeper since the
//     first apply, as Ansible keeps them with ControlPersist) and with fresh connections; at 50
//     hosts, a drift repair too (fresh: every host's files removed behind gridops' back, the state
//     saying they are in sync; Ansible's first run is the same work for Ansible); the no-op
//     plan's profile (-v) per phase and per host;
//   - Ansible 2.14 (pipelining, ControlPersist): first run, no-change run, at 50 hosts.
// At 50 hosts, and at 500 (floor and gridops; `--no-500` skips it). Times are medians of --runs
// (default 3; a whole number, 1 or more, else exit 64), except the fresh plan and no-change apply,
// the runs the 1.2x target is about: they run --target-runs times (default 8, or --runs if more),
// one time more for an odd count, so that each is first of its pair as often as the other, at 500
// hosts too, each after a floor run of its own; the rest of the 500-host part runs once. So the
// floor runs 32 times at 50 hosts and 19 at 500 by default; Ansible
// runs --ansible-runs times (default 3). Each size's topology is planned once, untimed, before its
// runs, so every first run finds it validated (gridops' validated-topology cache). A reset that fails
// on a host, a first run or drift repair that did not make the 3 changes on every host, or a
// no-change apply that changed anything (its summary, untimed; the plans run with
// --detailed-exitcode, whose 2 fails the run), ends the bench: that run would not measure what its
// row says. Children get the environment without GRIDOPS_ settings (GRIDOPS_PERSIST would make
// fresh runs kept ones), SSH_AUTH_SOCK, ANSIBLE_ settings or NODE_OPTIONS (bench/lib/child-env.js);
// gridops and Ansible run with HOME set to the bench's work directory, so that neither reads the
// user's ~/.ssh/config, ~/.ansible.cfg or caches, Ansible with ANSIBLE_CONFIG an empty file there
// (else ./ansible.cfg or /etc/ansible/ansible.cfg would apply) and its ssh with `-F` an empty file
// there (OpenSSH finds ~ from the password database, not HOME). The work floor, every first
// apply, and each fresh plan and no-change apply run right after a floor run of their own, and their
// paired ratio is to that floor (load drifts over a bench: a floor of minutes before would flatter
// or wrong it); the kept runs follow other runs and are not paired. Before each timed run the
// bench waits for the machine to go quiet (settle): the run before it (a reset's 50 ssh clients,
// Ansible's forks) leaves sshd sessions ending on the same 2 cores. Needs root (it brings up its own
// lab) and `apt-get install ansible`. Run: npm run bench -- provision [--no-500] [--runs N] [--target-runs N] [--ansible-runs N] [--json]
// (`--no-ansible` skips Ansible, for quick comparisons; `--runs=N` works too; any other flag exits
// 64; GRIDOPS_BENCH_LAB=DIR: the lab's directory; GRIDOPS_BENCH_KEEP_LAB=1 leaves it up afterwards.)
// A lab already up in DIR that the bench made (one left by an interrupted run, or kept) is reused
// when it has enough hosts, every host then reset before its first run, and brought down first when
// it has too few. The bench made a lab when its lab.json says kind netns and DIR/.gridops-bench-lab
// (written after the bench's `lab up`) holds that lab.json's createdAt; any other lab in DIR, or a
// topology.yaml with no lab.json, stops the bench and is left as it is (bench/lib/bench-lab.js):
// so does one whose `lab up` was killed before the marker was written (SIGKILL; a Ctrl-C brings it
// down), which `gridops lab down --dir DIR` then removes by hand.
// The bench's lab comes down however the bench ends, Ctrl-C and SIGTERM included (exit 130, 143);
// where `lab down` fails, the bench says so with the command to run by hand.
import { spawnSync, spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { writeFileSync, readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertChangedEveryHost, assertNoChange } from './lib/apply-changed-every-host.js';
import { BENCH_LAB_MARKER, benchLabChoice } from './lib/bench-lab.js';
import { benchFlagsOrExit } from './lib/bench-flags.js';
import { benchChildEnv } from './lib/child-env.js';
import { bringDown, cleanupOnSignal, interruptedChild, signalsDelivered, SIGNAL_EXIT } from './lib/cleanup-on-signal.js';
import { freshPairCount, freshPairOrder } from './lib/fresh-pair-order.js';
import { MEASURES } from './lib/measures.js';
import { repetitionsFlag } from './lib/repetitions-flag.js';
import { resetHosts as resetEach } from './lib/reset-hosts.js';
import { newRow, noteQuiet, recordTimed } from './lib/timed-runs.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const bin = `${root}bin/run.js`;
const flags = benchFlagsOrExit('provision', process.argv.slice(2));
const dir = process.env.GRIDOPS_BENCH_LAB ?? '/tmp/gridops-bench-lab';
const keepLab = Boolean(process.env.GRIDOPS_BENCH_KEEP_LAB);
const with500 = !flags.has('no-500');
const withAnsible = !flags.has('no-ansible');
let runs;
/** How many fresh no-op plans and no-change applies each size times, each after a floor run of its own (--target-runs, or --runs if more). */
let targetRuns;
let ansibleRuns;
try {
  runs = repetitionsFlag(flags, 'runs', 3);
  targetRuns = Math.max(runs, repetitionsFlag(flags, 'target-runs', 8));
  ansibleRuns = repetitionsFlag(flags, 'ansible-runs', 3);
} catch (err) {
  console.error(`bench/provision: ${err.message}`);
  process.exit(64);
}
const asJson = flags.has('json');
const concurrency = 50;
const sizes = with500 ? [50, 500] : [50];

/** The median (the mean of the two middle values for an even count). */
const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

/** Busy and total jiffies of all CPUs, from /proc/stat. */
function cpuTimes() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + (f[4] ?? 0);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}
/**
 * Waits until the CPUs were at least 80% idle over 250 ms (at most 5 s): a timed run starts on a quiet
 * machine, not while the previous step's sessions end. The same for every tool measured. False
 * where the machine stayed busy for the whole wait (counted per row, timed runs only: timed-runs.js).
 */
function settle() {
  const t0 = performance.now();
  let before = cpuTimes();
  while (performance.now() - t0 < 5000) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    const now = cpuTimes();
    const busy = (now.busy - before.busy) / Math.max(1, now.total - before.total);
    if (busy <= 0.2) return true;
    before = now;
  }
  return false;
}

/**
 * Runs a command to completion; its wall time in seconds, its output (stderr: for -v profiles), and
 * whether settle found a quiet machine before it. First a turn of the event loop: a SIGTERM sent to
 * the bench alone during the previous spawnSync reaches its handler there, before another run starts
 * (lib/cleanup-on-signal.js); a child ended by SIGINT or SIGTERM (Ctrl-C reaches it too) throws an
 * error marked `interrupted`.
 */
async function run(cmd, argv, env = {}) {
  await signalsDelivered();
  const quiet = settle();
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { cwd: root, encoding: 'utf8', env: benchChildEnv(process.env, env), maxBuffer: 256 * 1024 * 1024 });
  const s = (performance.now() - t0) / 1000;
  const interrupted = interruptedChild(r);
  if (interrupted) throw Object.assign(new Error(`${cmd} ${argv.join(' ')} ended by ${interrupted}`), { interrupted });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status ?? r.signal ?? r.error?.message}):\n${(r.stdout ?? '').slice(-2000)}\n${(r.stderr ?? '').slice(-2000)}`);
  return { s, stdout: r.stdout, stderr: r.stderr, quiet };
}

/** Where the work floor writes: beside the 3-task work's own files, so a gridops run after it still has its work to do. */
const WORK_FLOOR_PATHS = ['/etc/gridops-bench-floor-motd', '/etc/gridops-bench-floor-conf', '/var/tmp/gridops-bench-floor-marker'];
/**
 * The 3-task work done blind, in the login shell, in one exec: each file's text to a temp file
 * (printf, a builtin), both placed over their targets at once by one `rename.ul` (an atomic
 * rename each, as any careful tool makes it, in the one process that costs least: util-linux's,
 * which links libc alone; a `mv` each took 50 hosts 1.29x the floor, this 1.15x), then the
 * command. No read, no check: a tool that reports what it changed pays at least this. `{host}` is
 * the host's address.
 */
const WORK_FLOOR_STAGED = ['/etc/.gridops-bench-floor~motd', '/etc/.gridops-bench-floor~conf'];
const WORK_FLOOR_SCRIPT = [
  'umask 022',
  `printf '%s\\n' 'Welcome to {host}, sub-grid subgrid-1 of region region-1.' 'This file is managed by gridops.' > ${WORK_FLOOR_STAGED[0]}`,
  `printf 'managed=yes\\n' > ${WORK_FLOOR_STAGED[1]}`,
  // .gridops-bench-floor~motd -> gridops-bench-floor-motd, .gridops-bench-floor~conf -> gridops-bench-floor-conf
  `/usr/bin/rename.ul -- '.gridops-bench-floor~' 'gridops-bench-floor-' ${WORK_FLOOR_STAGED.join(' ')}`,
  `touch ${WORK_FLOOR_PATHS[2]}`,
].join(' && ');

if (process.getuid?.() !== 0) {
  console.error('bench/provision: needs root (it builds a netns lab); skipped');
  process.exit(0);
}
if (withAnsible && spawnSync('ansible-playbook', ['--version']).status !== 0) {
  console.error('bench/provision: ansible-playbook not found: apt-get install -y ansible');
  process.exit(1);
}

const maxHosts = Math.max(...sizes);
/** The lab command that brings the lab down; run at the end, on a failure, or on Ctrl-C (unless GRIDOPS_BENCH_KEEP_LAB). */
const labDown = ['lab', 'down', '--dir', dir];
/** The bench's work directory, in the lab's (the lab's netns hosts see it); removed at the end. */
let work;
/**
 * Whether the lab in `dir` is the bench's to bring down: one this run brought up (or began to), or
 * one an earlier run made (bench/lib/bench-lab.js). A lab the bench did not make stays up, whatever fails.
 */
let labIsOurs = false;
const cleanup = cleanupOnSignal(() => {
  if (!keepLab && labIsOurs) bringDown(bin, labDown);
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A file's text, or undefined where there is none. */
function readIfThere(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

let labTopology;
let nodes;
let sshConfig;
let inventory;
let ansibleEnv;
let stateDir;
const playbook = `${root}bench/provision/three-tasks.yaml`;
const ansiblePlaybook = `${root}bench/provision/three-tasks.ansible.yaml`;

/** Hosts the 3-task work may have touched (a lab's hosts start clean). */
const touched = new Set();

/**
 * Brings the lab up, or reuses the one up in `dir` when the bench made it (bench/lib/bench-lab.js):
 * one left by an interrupted run (or kept) with enough hosts is brought up again with its own shape
 * (`lab up` then finds it up, or boots what died), and every one of its hosts is reset before its
 * first run, since an earlier run's files may be on any of them; one with too few hosts is brought
 * down first (`lab up` refuses a lab of another shape). Any other lab there stops the bench.
 */
async function labUp() {
  const choice = benchLabChoice({ dir, maxHosts, labJson: readIfThere(`${dir}/lab.json`), marker: readIfThere(`${dir}/${BENCH_LAB_MARKER}`), topology: readIfThere(`${dir}/topology.yaml`) });
  if (choice.action === 'refuse') throw new Error(choice.reason);
  labIsOurs = true;
  const existing = choice.action === 'fresh' ? 0 : choice.hosts;
  if (choice.action === 'replace') {
    console.log(`a ${existing}-host lab is up in ${dir}, too few: bringing it down first`);
    if (!bringDown(bin, labDown)) throw new Error(`the ${existing}-host lab in ${dir} did not come down; bring it down by hand, then run the bench again`);
  }
  const reuse = existing >= maxHosts;
  const hosts = reuse ? existing : maxHosts;
  console.log(`${reuse ? `reusing the ${existing}-host lab` : `bringing up ${maxHosts} netns lab hosts`} in ${dir} (load ${load()})`);
  // The lab's own cache (images, rootfs) stays where the user keeps it: not a setting of the runs timed.
  const up = await run(bin, ['lab', 'up', '--kind', 'netns', '--nodes', String(hosts), '--dir', dir], process.env.GRIDOPS_CACHE_DIR ? { GRIDOPS_CACHE_DIR: process.env.GRIDOPS_CACHE_DIR } : {});
  console.log(`lab up in ${up.s.toFixed(1)} s`);
  // The mark that lets a later run reuse or bring down this lab: its lab.json's createdAt.
  writeFileSync(`${dir}/${BENCH_LAB_MARKER}`, `${JSON.parse(readFileSync(`${dir}/lab.json`, 'utf8')).createdAt}\n`);
  labTopology = readFileSync(`${dir}/topology.yaml`, 'utf8');
  nodes = [...labTopology.matchAll(/name: (node-\d+), address: ([\d.]+)/g)].map((m) => ({ name: m[1], address: m[2] }));
  if (reuse) for (const n of nodes) touched.add(n.address);
}

/**
 * Removes what the 3-task work made on the touched hosts among `wanted`, so the next run is a first
 * run again; a host where that fails ends the bench (naming it), rather than making that run partly
 * a no-change one.
 */
async function resetHosts(wanted) {
  const sshArgv = (a) => ['-F', sshConfig, '-i', `${dir}/id_ed25519`, '-o', `UserKnownHostsFile=${dir}/known_hosts`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', `root@${a}`, `rm -f /etc/gridops-bench-motd /etc/gridops-bench.conf /var/tmp/gridops-bench-ran-marker ${WORK_FLOOR_PATHS.join(' ')}`];
  await resetEach(wanted.filter((a) => touched.has(a)), { spawn, concurrency, sshArgv, env: benchChildEnv(process.env) });
}

/** A topology of the first n lab hosts, in one sub-grid (the lab's SSH defaults), so each size validates only its own hosts. */
function topologyOf(n) {
  const header = labTopology.slice(0, labTopology.indexOf('regions:'));
  const file = join(work, `topology-${n}.yaml`);
  const lines = nodes.slice(0, n).map((h) => `          - { name: ${h.name}, address: ${h.address} }`);
  writeFileSync(file, `${header}regions:\n  - name: region-1\n    subgrids:\n      - name: subgrid-1\n        nodes:\n${lines.join('\n')}\n`);
  return file;
}

/**
 * The work directory and what the runs read from it: the inventory; an empty ansible.cfg
 * (ANSIBLE_CONFIG) and an empty ssh config (`ssh -F`), so that no config of the user's or the
 * machine's changes Ansible's runs or the resets; HOME for gridops and Ansible (gridopsHome).
 */
function prepareWork() {
  work = mkdtempSync(join(dir, 'bench-'));
  inventory = join(work, 'inventory.ini');
  writeFileSync(
    inventory,
    `[all]\n${nodes.map((n) => `${n.name} ansible_host=${n.address}`).join('\n')}\n[all:vars]\nansible_user=root\nansible_python_interpreter=/usr/bin/python3\nansible_ssh_private_key_file=${dir}/id_ed25519\nansible_ssh_common_args='-o UserKnownHostsFile=${dir}/known_hosts -o StrictHostKeyChecking=yes'\nregion=region-1\nsubgrid=subgrid-1\n`,
  );
  const ansibleConfig = join(work, 'ansible.cfg');
  writeFileSync(ansibleConfig, '# Empty: the bench sets Ansible through its ANSIBLE_ variables (bench/provision.js).\n');
  sshConfig = join(work, 'ssh_config');
  writeFileSync(sshConfig, '# Empty: the bench passes its ssh options on the command line (bench/provision.js).\n');
  ansibleEnv = { HOME: work, ANSIBLE_CONFIG: ansibleConfig, ANSIBLE_PIPELINING: '1', ANSIBLE_SSH_ARGS: `-F ${sshConfig} -o ControlMaster=auto -o ControlPersist=60s`, ANSIBLE_FORKS: String(concurrency), ANSIBLE_HOST_KEY_CHECKING: 'True', ANSIBLE_STDOUT_CALLBACK: 'minimal', ANSIBLE_LOCALHOST_WARNING: 'False' };
  stateDir = join(work, 'state');
}

const floorRun = (topology, extra = []) => run(process.execPath, [`${root}bench/provision/ssh-floor.js`, '--topology', topology, '--known-hosts', `${dir}/known_hosts`, '--identity', `${dir}/id_ed25519`, '--concurrency', String(concurrency), ...extra]);
const workFloor = (topology) => floorRun(topology, ['--command', WORK_FLOOR_SCRIPT]);
// The floor run each measurement is paired with: the one just before it (the load drifts over a
// bench, so a floor run minutes earlier would pair a quieter machine with a busier one).
// A floor run pairs with the one measurement after it, and only that one.
let lastFloor;
/** A floor run, counted in the row's floor times and paired with what is measured next. */
const floor = async (row, topology) => {
  const r = await floorRun(topology);
  recordTimed(row, 'floor', r, undefined);
  lastFloor = r.s;
};
/** Records one timed run (`r`) into row.times[key] and, right after a floor run, its ratio to that floor into row.paired[key]. */
const measure = (row, key, r) => {
  recordTimed(row, key, r, lastFloor);
  lastFloor = undefined;
  return r;
};
// Each repetition gets its own keeper directory, so its first apply starts with no kept connection.
let keeperDir = '';
/**
 * A gridops run, with HOME the work directory: gridops reads ~/.ssh/config (fleet.ts) and keeps its
 * validated-topology cache under ~/.cache, and the user's must not change what is measured; the
 * lab's topology names its identity and known_hosts files by absolute path, and the keeper's
 * directory is set here, so nothing else moves.
 */
const gridops = (verb, topology, extra = []) => run(bin, [verb, topology, '--playbook', playbook, '--state-dir', stateDir, '--concurrency', String(concurrency), ...extra], { HOME: work, GRIDOPS_KEEPER_DIR: keeperDir });
const persist = ['--persist', '60s'];
/** The -v profile lines of a run, and what remains of its wall time: rendering the plan or summary, and the process's exit. */
const profileOf = ({ stderr, s }) => {
  const lines = stderr.split('\n').filter((l) => l.startsWith('gridops: profile: ')).map((l) => l.slice('gridops: profile: '.length));
  const counted = lines.filter((l) => /^(start-up|phase) /.test(l)).reduce((sum, l) => sum + Number(/: (\d+) ms$/.exec(l)?.[1] ?? 0), 0);
  return [...lines, `the rest (rendering the output, exit), from the wall clock: ${Math.max(0, Math.round(s * 1000 - counted))} ms`];
};

/** The rows' printed labels: what each row measures, and what was warmed before it. */
const LABEL_WIDTH = Math.max(...MEASURES.map(([, label]) => label.length));
/** The 3-task work's changes on a host that has none of it done: the file, the line, the command. */
const CHANGES_PER_HOST = 3;
/**
 * Times a first run or a drift repair (`gridops apply ...extra`) into row.times[key] and checks,
 * untimed, from the summary it printed, that it made the 3 changes on all `n` hosts.
 */
const measureChanging = async (row, key, n, topology, extra, what) => {
  const r = measure(row, key, await gridops('apply', topology, ['--yes', ...extra]));
  assertChangedEveryHost(r.stdout, n, CHANGES_PER_HOST, `${what} at ${n} hosts`);
  return r;
};
/** Times a no-change apply into row.times[key] and checks, untimed, from its summary, that it changed nothing on its `n` hosts. */
const measureNoChange = async (row, key, n, topology, extra, what) => {
  const r = measure(row, key, await gridops('apply', topology, ['--yes', ...extra]));
  assertNoChange(r.stdout, n, `${what} at ${n} hosts`);
  return r;
};

/**
 * The fresh no-op plan and no-change apply, each after a floor run of its own, in an order swapped
 * every repetition (freshPairOrder: each first as often as the other over freshPairCount pairs):
 * with the order fixed, the second slot read about 3% worse than the first for the very same binary
 * (docs/performance.md, the caution about fixed slots), and the no-change apply, always second,
 * carried that bias. The plan's --detailed-exitcode fails the run where it finds a change.
 */
async function freshPair(row, topology, n, repetition) {
  const runs = {
    planFresh: async () => measure(row, 'planFresh', await gridops('plan', topology, ['--detailed-exitcode'])),
    noChangeFresh: () => measureNoChange(row, 'noChangeFresh', n, topology, [], 'the no-change apply (fresh)'),
  };
  for (const key of freshPairOrder(repetition)) {
    await floor(row, topology);
    await runs[key]();
  }
}

const rows = [];
try {
  await labUp();
  prepareWork();
  for (const n of sizes) {
    const topology = topologyOf(n);
    const addresses = nodes.slice(0, n).map((h) => h.address);
    const reps = n <= 50 ? runs : 1;
    // Untimed: validates the topology into gridops' cache, so that every first run (the first
    // repetition's too) finds it validated, as its label says.
    await gridops('plan', topology);
    const row = { ...newRow(n, reps, MEASURES.map(([k]) => k)), loadBefore: load() };
    for (let i = 0; i < reps; i++) {
      await resetHosts(addresses);
      rmSync(stateDir, { recursive: true, force: true });
      keeperDir = join(work, `keeper-${n}-${i}`);
      for (const a of addresses) touched.add(a);
      await floor(row, topology);
      measure(row, 'workFloor', await workFloor(topology));
      await floor(row, topology);
      row.profileFirst = profileOf(await measureChanging(row, 'first', n, topology, ['-v', ...persist], 'the first run (--persist)'));
      await measureNoChange(row, 'noChangeKept', n, topology, persist, 'the no-change apply (--persist)');
      measure(row, 'planKept', await gridops('plan', topology, ['--detailed-exitcode', ...persist]));
      // The usual workflow: plan (review), then apply, within the keeper's time (at 50 hosts: resetting 500 takes long).
      if (n <= 50) {
        await resetHosts(addresses);
        rmSync(stateDir, { recursive: true, force: true });
        await gridops('plan', topology, persist);
        await floor(row, topology);
        await measureChanging(row, 'firstAfterPlan', n, topology, persist, 'the first run after a plan');
      }
      // The kept profile; --persist 0s lets the keeper end, so no connection outlives the bench.
      row.profileKept = profileOf(await gridops('plan', topology, ['-v', '--persist', '0s']));
      await freshPair(row, topology, n, i);
      row.profileFresh = profileOf(await gridops('plan', topology, ['-v']));
      // Day 2: every host drifted since the last apply, which the state says left them in sync; so
      // they are read without a shell, and each batch gets a held shell of its own (engine/gate.ts).
      // What Ansible does on such hosts is its first run: it checks everything every time.
      if (n <= 50) {
        await resetHosts(addresses);
        await floor(row, topology);
        await measureChanging(row, 'driftFresh', n, topology, [], 'the drift repair');
      }
      // The default first run: no keeper, every connection opened by the run itself.
      if (n <= 50) {
        await resetHosts(addresses);
        rmSync(stateDir, { recursive: true, force: true });
        await floor(row, topology);
        await measureChanging(row, 'firstFresh', n, topology, [], 'the fresh first run');
      }
    }
    // At 500 hosts the rest runs once (resetting 500 hosts takes long); the runs the 1.2x target is
    // about run --target-runs times (or --runs, if more; rounded up to even, for the order), each
    // after a floor run of its own: with 4, a row's paired median moved by 3 to 5% between runs of
    // the same build, more than the margin the target is judged by.
    for (let i = reps; i < freshPairCount(targetRuns); i++) await freshPair(row, topology, n, i);
    await floor(row, topology);
    if (n <= 50 && withAnsible) {
      const limit = nodes.slice(0, n).map((h) => h.name).join(',');
      row.aFirst = [];
      row.aNoChange = [];
      for (let i = 0; i < ansibleRuns; i++) {
        await resetHosts(addresses);
        for (const a of addresses) touched.add(a);
        // Its own ControlPersist directory: the first run opens its connections, as gridops' fresh first run
        // does (the previous repetition's masters live 60 s more), and the no-change run reuses them.
        const env = { ...ansibleEnv, ANSIBLE_SSH_CONTROL_PATH_DIR: join(work, `ansible-cp-${i}`) };
        for (const list of [row.aFirst, row.aNoChange]) {
          const r = await run('ansible-playbook', ['-i', inventory, '--limit', limit, ansiblePlaybook], env);
          list.push(r.s);
          noteQuiet(row, r);
        }
      }
      await resetHosts(addresses);
    }
    row.loadAfter = load();
    rows.push(row);
    if (!asJson) report([row]);
  }
} catch (err) {
  // A child ended by Ctrl-C (the terminal signals the bench too): a turn of the loop lets the
  // signal's handler run the cleanup and exit 130; where none came (the child alone was signalled),
  // the bench still ends as interrupted.
  await signalsDelivered();
  if (err.interrupted) {
    console.error(`bench/provision: ${err.message}`);
    cleanup();
    process.exit(SIGNAL_EXIT[err.interrupted]);
  }
  throw err;
} finally {
  cleanup();
}

function f(s) {
  return `${s.toFixed(2)} s`;
}
function summarize(r) {
  const m = Object.fromEntries(Object.entries(r.times).map(([k, v]) => [k, median(v)]));
  const ansible = r.aFirst ? { ansibleFirst: median(r.aFirst), ansibleNoChange: median(r.aNoChange), ansibleAll: { first: r.aFirst, noChange: r.aNoChange } } : {};
  // Of this row's timed runs (Ansible's included), how many started without a quiet machine (settle gave up after 5 s).
  const timedRuns = Object.values(r.times).reduce((sum, v) => sum + v.length, 0) + (r.aFirst?.length ?? 0) + (r.aNoChange?.length ?? 0);
  return { hosts: r.hosts, runs: r.runs, load: { before: r.loadBefore, after: r.loadAfter }, timedRuns, timedRunsNotQuiet: r.unquiet, median: m, all: r.times, paired: r.paired, ...ansible, profileFirst: r.profileFirst, profileFresh: r.profileFresh, profileKept: r.profileKept };
}
/** Prints the rows (each size as soon as it is measured, so a failure later keeps what was measured). */
function report(done) {
  for (const r of done.map(summarize)) {
    console.log(`\nthe 3-task work on ${r.hosts} netns lab hosts, ${concurrency} at a time; wall clock of whole processes (start-up included), each started on a quiet machine (settle; ${r.timedRunsNotQuiet} of its ${r.timedRuns} timed runs did not find one in 5 s); medians of the runs in brackets; load average before ${r.load.before}, after ${r.load.after}`);
    // Ratios: of the medians, and the median of each run's time over the floor run just before it (load drifts).
    for (const [k, label] of MEASURES.filter(([k]) => r.all[k].length)) {
      // The kept runs follow other runs, not a floor run of their own: no paired ratio.
      const paired = k === 'floor' ? '1.00x paired' : r.paired[k].length ? `${median(r.paired[k]).toFixed(2)}x paired` : 'not paired';
      console.log(`  ${label.padEnd(LABEL_WIDTH)} ${f(r.median[k]).padStart(8)}  ${(r.median[k] / r.median.floor).toFixed(2)}x floor, ${paired}   (${r.all[k].map((s) => s.toFixed(2)).join(', ')})`);
    }
    if (r.ansibleFirst !== undefined) {
      const all = (xs) => `(${xs.map((s) => s.toFixed(2)).join(', ')})`;
      console.log(`  ${'ansible-playbook, first run (ControlPersist)'.padEnd(LABEL_WIDTH)} ${f(r.ansibleFirst).padStart(8)}  ${(r.ansibleFirst / r.median.firstFresh).toFixed(1)}x gridops first run (fresh), ${(r.ansibleFirst / r.median.first).toFixed(1)}x with the keeper started, ${(r.ansibleFirst / r.median.firstAfterPlan).toFixed(1)}x after a plan   ${all(r.ansibleAll.first)}`);
      // The work floor bounds any first run: this is the most any tool could be against Ansible's first run here.
      console.log(`  ${'ansible-playbook, first run, against the work floor'.padEnd(LABEL_WIDTH)} ${(r.ansibleFirst / r.median.workFloor).toFixed(1)}x the work floor (the most any tool's first run could be against it in this run); gridops' fresh first run is ${(r.median.firstFresh / r.median.workFloor).toFixed(2)}x the work floor`);
      console.log(`  ${'ansible-playbook, first run, against a drift repair'.padEnd(LABEL_WIDTH)} ${(r.ansibleFirst / r.median.driftFresh).toFixed(1)}x gridops' drift repair (fresh), whose hosts were changed behind its back as Ansible's first run finds them`);
      console.log(`  ${'ansible-playbook, no change (ControlPersist)'.padEnd(LABEL_WIDTH)} ${f(r.ansibleNoChange).padStart(8)}  ${(r.ansibleNoChange / r.median.noChangeKept).toFixed(1)}x gridops --persist, ${(r.ansibleNoChange / r.median.noChangeFresh).toFixed(1)}x gridops fresh   ${all(r.ansibleAll.noChange)}`);
    }
    console.log(`  profile, first apply (apply -v --persist, keeper started):\n    ${r.profileFirst.join('\n    ')}`);
    console.log(`  profile, no-op plan, fresh connections (plan -v):\n    ${r.profileFresh.join('\n    ')}`);
    console.log(`  profile, no-op plan, kept connections (plan -v --persist):\n    ${r.profileKept.join('\n    ')}`);
  }
}
if (asJson) console.log(JSON.stringify({ bench: 'provision', concurrency, rows: rows.map(summarize) }, null, 2));
