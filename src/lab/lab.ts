import { execa } from 'execa';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { InterruptedError, LabError, PreflightError, UsageError } from '../errors/index.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { containerAlive, startContainer, stopContainer } from './container.js';
import { ensureClientKey, newIdentity, writeIdentity } from './identity.js';
import { createNodeNetworks, deleteBridge, deleteNodeNetworks, ensureBridge, leftoverNetwork, sweepNetwork } from './net.js';
import { logTail, netnsHostAlive, prepareNetnsHost, startNetnsHost, stopNetnsHost } from './netnshost.js';
import { labFiles, resolveCacheDir, runRoot } from './paths.js';
import { growLab, growthProblems, labPrefix, planLab, sameShape, shapeProblems } from './plan.js';
import { preflight, type MachineFacts, machineFacts } from './preflight.js';
import { raiseInotifyLimits } from './host-limits.js';
import { reportPrefetchProblems, reportRaisedLimits } from './up-notices.js';
import { type Progress, silentProgress } from './progress.js';
import { proxyAlive, startProxy, stopProxy, warmProxy } from './proxy.js';
import { wideRouteWarning } from './slot-conflicts.js';
import { stopStrayDaemons } from './stray-daemons.js';
import { dnsAlive, startDns, stopDns, updateDns } from './dns.js';
import { cleanAbandonedBuilds, ensureContainerRootfs, hostMirrors, suiteIndexUrls } from './rootfs.js';
import { claimedSlot, claimSlot, holdSlotForDown, keepsRecordedSlot, readState, releaseSlot, slotClaimant, withLabLock, writeState } from './state.js';
import { killCgroupTrees, pidAlive, pidsInCgroupTree, pidsInNetns, processIdentity, waitUntilReaped, pidsWithArg, removeCgroupTree, removePath, terminate, unmountUnder, labHierarchies, machineNetworks, waitForSsh } from './sys.js';
import { renderKnownHosts, renderTopology } from './topology.js';
import { checkNoUnrecordedTopology, checkTopologyNotEdited, topologyDigest, topologyEdited } from './topology-edits.js';
import { gridStateStale } from './stale-grid-state.js';
import { nodesToBoot } from './nodes-to-boot.js';
import { labCommand, shellWord } from './lab-command.js';
import { ensureSandboxImage, type SandboxImageOutcome, settledSandboxImage } from './sandbox-image.js';
import type { LabKind, LabRequest, LabState, NodeState } from './types.js';
import { ensureVmImage, startVm, stopVm, vmAlive, prepareVm, VM_SSH_TIMEOUT_MS } from './vm.js';

export interface RunOptions {
  progress?: Progress;
  /** Aborted on Ctrl-C: `up` stops launching, records what exists, and throws InterruptedError. */
  signal?: AbortSignal;
  facts?: MachineFacts;
}

/** Where the lab lock's warnings go (an abandoned takeover marker removed): always shown, as a step. */
const lockWarning = (opts: RunOptions) => (message: string) => (opts.progress ?? silentProgress).step(`warning: ${message}`);

/** One node as reported by `up` and `status`. */
export interface LabNodeSummary {
  name: string;
  address: string;
  region: string;
  subgrid: string;
  pid?: number;
}

export interface LabUpResult {
  dir: string;
  kind: LabKind;
  /** The lab was already up and healthy; nothing was started. */
  reused: boolean;
  topology: string;
  knownHosts: string;
  identity: string;
  bridge: { name: string; address: string; subnet: string };
  proxy: string;
  nodes: LabNodeSummary[];
  timings: Record<string, number>;
}

const summary = (n: NodeState): LabNodeSummary => ({ name: n.name, address: n.address, region: n.region, subgrid: n.subgrid, pid: n.pid });

/** How each kind of node is made, checked and stopped. */
interface Driver {
  alive(n: NodeState): boolean;
  /** Ends the node's processes; returns how many there were. */
  stop(n: NodeState): Promise<number>;
  readyTimeoutMs: number;
  concurrency: number;
}

const DRIVERS: Record<LabKind, Driver> = {
  container: { alive: containerAlive, stop: async (n) => (await stopContainer(n)).killed, readyTimeoutMs: 60_000, concurrency: 8 },
  netns: { alive: netnsHostAlive, stop: stopNetnsHost, readyTimeoutMs: 20_000, concurrency: 32 },
  vm: { alive: vmAlive, stop: stopVm, readyTimeoutMs: VM_SSH_TIMEOUT_MS, concurrency: 8 },
};

function upResult(state: LabState, reused: boolean, timings: Record<string, number>): LabUpResult {
  return {
    dir: state.dir,
    kind: state.plan.shape.kind,
    reused,
    topology: state.files.topology,
    knownHosts: state.files.knownHosts,
    identity: state.files.identity,
    bridge: { ...state.plan.bridge, subnet: state.plan.subnet },
    proxy: state.proxy ? `http://${state.proxy.address}:${state.proxy.port}` : '',
    nodes: state.nodes.map(summary),
    timings,
  };
}

/**
 * Brings the lab up (idempotent): an existing healthy lab of the same shape is left alone, a
 * partly-dead one is repaired, a different one is refused.
 */
export async function labUp(req: LabRequest, opts: RunOptions = {}): Promise<LabUpResult> {
  // Checks first: a refused `up` creates nothing, not even the lab directory.
  const problems = shapeProblems(req);
  // A shape that cannot be built is a flag value that cannot be used: a usage error (exit 64).
  if (problems.length) throw new UsageError(problems[0]!, 'see `gridops lab up --help`');
  const recorded = readState(req.dir);
  // Before the preflight and the lock: a refused `up` creates nothing, and the file is the user's.
  if (!recorded) checkNoUnrecordedTopology(labFiles(req.dir).topology, req.dir);
  preflight(req.kind, req.nodes, opts.facts ?? machineFacts(), { running: runningVms(req.kind, recorded) });
  return withLabLock(req.dir, () => up(req, opts), lockWarning(opts));
}

/**
 * The recorded lab's VMs that run now, which the memory preflight leaves out of the new ones'
 * need. Only a VM lab's count matters: other kinds are not asked, since asking runs each node's
 * liveness check, which `up` runs again for the nodes to boot.
 */
function runningVms(kind: LabKind, recorded: LabState | null): number {
  if (kind !== 'vm' || recorded?.plan.shape.kind !== 'vm') return 0;
  return recorded.nodes.filter((n) => DRIVERS.vm.alive(n)).length;
}

async function up(req: LabRequest, opts: RunOptions): Promise<LabUpResult> {
  const progress = opts.progress ?? silentProgress;
  const signal = opts.signal ?? new AbortController().signal;
  const t0 = Date.now();
  const timings: Record<string, number> = {};
  const shape = { kind: req.kind, nodes: req.nodes, subgrids: req.subgrids, regions: req.regions };
  const files = labFiles(req.dir);
  const driver = DRIVERS[req.kind];

  const existing = readState(req.dir);
  if (existing && !sameShape(existing.plan.shape, shape)) {
    const s = existing.plan.shape;
    throw new LabError(
      `a different lab is up in ${req.dir} (${s.nodes} ${s.kind} nodes, ${s.subgrids} sub-grids, ${s.regions} regions)`,
      `to add nodes, sub-grids or regions to it, run \`${labCommand('grow', req.dir)}\` with the totals; else run \`${labCommand('down', req.dir)}\` first, or use another --dir`,
    );
  }
  if (existing && existing.phase === 'ready' && slotClaimant(existing.plan.slot) === req.dir && nodesToBoot(existing.nodes, (n) => driver.alive(n)).length === 0 && proxyAlive(existing.proxy) && dnsAlive(existing.dns) && existsSync(existing.files.knownHosts) && existsSync(existing.files.topology)) {
    progress.step(`lab already up: ${existing.nodes.length} ${req.kind} nodes in ${req.dir}`);
    return upResult(existing, true, { totalMs: Date.now() - t0 });
  }
  // Before anything is built: step 6 would overwrite a topology edited since the lab wrote it.
  checkTopologyNotEdited(files.topology, existing?.topologySha256, req.dir, 'up');

  // 1. The shared image (cache). Nothing of the lab exists yet, so an interrupt here leaves nothing.
  const cacheDir = resolveCacheDir();
  // Container nodes run libvirt: their topology names the sandbox image, built (once, cached) from
  // the mirror at the same time as the rootfs, since both mostly wait on downloads (on a fresh
  // machine that saves the image's whole build, about a minute). Settled here, judged at step 5.
  const stopImaging = new AbortController();
  const imaging: Promise<SandboxImageOutcome> =
    req.kind === 'container'
      ? ensureSandboxImage(cacheDir, progress, AbortSignal.any([signal, stopImaging.signal])).then(
          (r) => {
            if (r.built) progress.done(`sandbox image: built and cached in ${r.path} (${(r.bytes / 2 ** 20).toFixed(1)} MiB)`, r.ms);
            return { image: r };
          },
          (error: unknown) => ({ error }),
        )
      : Promise.resolve({});
  try {
    let image = '';
    if (req.kind === 'container') {
      const r = await ensureContainerRootfs(cacheDir, progress, signal);
      image = r.path;
      if (r.built) progress.done(`rootfs: built and cached in ${r.path}`, r.ms);
      else progress.detail(`rootfs: cached ${r.path}`);
      timings.rootfsMs = r.ms;
    } else if (req.kind === 'vm') {
      const r = await ensureVmImage(cacheDir, progress, signal);
      image = r.path;
      if (r.built) progress.done(`vm image: built and cached in ${r.path}`, r.ms);
      else progress.detail(`vm image: cached ${r.path}`);
      timings.imageMs = r.ms;
    }
    if (signal.aborted) {
      await imaging;
      throw new InterruptedError('interrupted before the lab was built; nothing to remove');
    }

    // 2. Record the plan before making anything, so `down` can remove whatever an interrupt leaves.
    const tPlan = Date.now();
    const slot = await claimSlot(req.dir, existing?.plan.slot);
    // A wider route over the slot (a VPN's 10.0.0.0/8) does not stop the lab, but costs its hosts there.
    const shadowed = wideRouteWarning(slot, await machineNetworks());
    if (shadowed) progress.step(shadowed);
    const kept = existing && keepsRecordedSlot(existing, req.dir, slot) ? existing : null;
    if (existing && !kept) {
      progress.step(
        `lab.json names slot ${existing.plan.slot}, which this directory does not hold (a reboot empties ${runRoot()}): building the lab afresh on slot ${slot}`,
      );
    }
    const plan = kept?.plan ?? planLab(shape, slot);
    const runDir = req.kind === 'netns' ? join(runRoot(), String(slot)) : files.nodes;
    const state: LabState = kept ?? {
      version: 1,
      phase: 'building',
      dir: req.dir,
      createdAt: new Date().toISOString(),
      plan,
      runDir,
      files: { topology: files.topology, knownHosts: files.knownHosts, identity: files.identity, publicKey: files.publicKey, state: files.state },
      nodes: plan.nodes.map((n) => ({ ...n, dir: join(runDir, n.name) })),
    };
    state.phase = 'building';
    state.image = image || state.image;
    await mkdir(req.dir, { recursive: true });
    await writeState(state);

    const save = () => writeState(state);
    const checkAbort = async () => {
      if (signal.aborted) {
        await save();
        throw new InterruptedError('interrupted; what was built is recorded in lab.json', `run \`${labCommand('down', req.dir)}\` to remove it, or \`${labCommand('up', req.dir)}\` to finish it`);
      }
    };

    try {
      const clientPublicKey = await ensureClientKey(files.identity, files.publicKey);
      await ensureBridge(plan);
      // 3. The package proxy, on the bridge address.
      const proxyStart = Date.now();
      if (!proxyAlive(state.proxy)) {
        state.proxy = await startProxy(files.proxy, plan.bridge.address);
        await save();
      }
      if (!dnsAlive(state.dns)) {
        state.dns = await startDns(files.dns, plan);
        await save();
      }
      timings.proxyMs = Date.now() - proxyStart;
      progress.detail(`package proxy: http://${plan.bridge.address}:${state.proxy!.port} (pid ${state.proxy!.pid})`);
      await checkAbort();

      // 4. Node networks for the nodes that are not running.
      const todo = nodesToBoot(state.nodes, (n) => driver.alive(n));
      // A node is rebuilt from scratch (below: its directory goes), so one that had been up loses its
      // disk, its host key and whatever an apply installed on it.
      const previouslyUp = new Set((existing?.nodes ?? []).filter((n) => n.hostKey && n.ready !== false).map((n) => n.name));
      for (const n of todo) if (previouslyUp.has(n.name)) progress.step(`${n.name} recreated: empty disk, new host key`);
      if (gridStateStale(plan.subgrids, previouslyUp, new Set(todo.map((n) => n.name)))) {
        const stale = gridStateFiles(req.dir);
        for (const f of stale) await removePath(f);
        if (stale.length) progress.step(`grid state removed (${stale.join(', ')}): it named agents on the recreated nodes; apply the topology again`);
      }
      for (const n of todo) await driver.stop(n); // leftovers of a dead node (processes, cgroups)
      if (req.kind === 'container') {
        reportRaisedLimits(progress, raiseInotifyLimits());
      }
      await createNodeNetworks(req.kind, plan, todo);
      timings.networkMs = Date.now() - tPlan;
      progress.detail(`network: bridge ${plan.bridge.name} ${plan.bridge.address}/${plan.prefixLength}, ${todo.length} node links`);
      await checkAbort();

      // 5. Per-node identity and boot, while the proxy fetches the package indexes once.
      const mirrors = hostMirrors();
      const tWarm = Date.now();
      const warming = warmProxy(state.proxy!, suiteIndexUrls(mirrors), undefined, signal).then((problems) => {
        timings.proxyWarmMs = Date.now() - tWarm;
        reportPrefetchProblems(progress, problems);
      });
      const proxy = { address: plan.bridge.address, port: state.proxy!.port };
      const nameserver = plan.bridge.address;
      progress.step(`nodes: starting ${todo.length} ${req.kind} node${todo.length === 1 ? '' : 's'}${todo.length < state.nodes.length ? ` (${state.nodes.length - todo.length} already up)` : ''}`);
      const tBoot = Date.now();
      const limit = pLimit(driver.concurrency);
      let ready = 0;
      await Promise.all(
        todo.map((n) =>
          limit(async () => {
            if (signal.aborted) return;
            const tn = Date.now();
            await rm(n.dir, { recursive: true, force: true });
            await mkdir(n.dir, { recursive: true });
            const id = newIdentity(n.name);
            n.hostKey = id.hostKey.publicKey.trim();
            n.ready = false;
            if (req.kind === 'container') {
              await writeIdentity(join(n.dir, 'upper'), id, { clientPublicKey, proxy, nameserver });
              await startContainer(n, image);
            } else if (req.kind === 'netns') {
              await prepareNetnsHost(n);
              await writeIdentity(join(n.dir, 'upper'), id, { clientPublicKey, proxy, mirrors, nameserver });
              await startNetnsHost(n);
            } else {
              await prepareVm(n, id, { clientPublicKey, proxy, mirrors, plan, nameserver });
              await startVm(n, image, plan);
            }
            try {
              await waitForSsh(n.address, driver.readyTimeoutMs, () => signal.aborted || !pidAlive(n.pid));
            } catch (err) {
              if (signal.aborted) return;
              throw new LabError(`${n.name} did not come up: ${pidAlive(n.pid) ? 'sshd did not answer' : 'its process exited'}${logTail(n.log) ? ` (${logTail(n.log)})` : ''}`, `see ${shellWord(n.log ?? n.dir)}; run \`${labCommand('down', req.dir)}\` to clean up`, { cause: err });
            }
            n.ready = true;
            ready++;
            const line = `  ${n.name} ${n.address} answers ssh [${ready}/${todo.length}]`;
            // One line per node for small labs; for big ones, every tenth of the way (details with --verbose).
            if (todo.length <= 20 || ready % Math.ceil(todo.length / 10) === 0 || ready === todo.length) progress.done(line, Date.now() - tn);
            else progress.detail(`${line} (${((Date.now() - tn) / 1000).toFixed(2)} s)`);
          }),
        ),
      );
      await warming;
      const imaged = await settledSandboxImage(imaging, checkAbort);
      const sandboxImage = imaged?.path;
      if (imaged) timings.sandboxImageMs = imaged.ms;
      timings.bootMs = Date.now() - tBoot;

      // 6. Outputs: known_hosts with every node's real key, the topology, lab.json.
      await writeFileAtomic(files.knownHosts, renderKnownHosts(state.nodes));
      const topology = renderTopology(plan, { identity: files.identity, knownHosts: files.knownHosts, ...(sandboxImage ? { sandboxImage } : {}) });
      await writeFileAtomic(files.topology, topology);
      state.topologySha256 = topologyDigest(topology);
      state.phase = 'ready';
      timings.totalMs = Date.now() - t0;
      state.timings = timings;
      await save();
      progress.done(`lab up: ${state.nodes.length} ${req.kind} nodes; topology ${files.topology}`, timings.totalMs);
      return upResult(state, false, timings);
    } catch (err) {
      await save().catch(() => {});
      throw err;
    }
  } catch (err) {
    // Any failure, not only Ctrl-C, must stop the image's build: its debootstrap runs detached and
    // would go on, and its temporary directory would stay behind.
    stopImaging.abort();
    await imaging;
    throw err;
  }
}

/** What `lab grow` adds: totals, as `lab up` takes them. */
export interface LabGrowRequest {
  dir: string;
  nodes: number;
  subgrids: number;
  regions: number;
}

export interface LabGrowResult extends LabUpResult {
  /** The nodes this run built: the new ones, and any an interrupted run left down (the others were left alone: same processes, same files). */
  added: LabNodeSummary[];
}

/**
 * Grows a running lab in place: new nodes, sub-grids and regions (growLab), the new region names
 * in the lab's DNS, and a topology.yaml listing them. Existing nodes are not touched: their
 * processes, files and addresses stay. Running it again with the same totals does nothing.
 */
export async function labGrow(req: LabGrowRequest, opts: RunOptions = {}): Promise<LabGrowResult> {
  return withLabLock(req.dir, async () => {
    const progress = opts.progress ?? silentProgress;
    const state = readState(req.dir);
    if (!state) throw new LabError(`no lab in ${req.dir}`, `start one with \`${labCommand('up', req.dir)}\`, then grow it`);
    const kind = state.plan.shape.kind;
    const shape = { kind, nodes: req.nodes, subgrids: req.subgrids, regions: req.regions };
    const problems = growthProblems(state.plan, shape);
    // Totals the lab cannot grow to are flag values that cannot be used: a usage error (exit 64), as for `up`.
    if (problems.length) throw new UsageError(problems[0]!, `the lab has ${state.plan.shape.nodes} nodes, ${state.plan.shape.subgrids} sub-grids and ${state.plan.shape.regions} regions; give the totals it should have`);
    // Before the plan grows: the grown lab's topology would overwrite one edited since the lab wrote it.
    checkTopologyNotEdited(state.files.topology, state.topologySha256, req.dir, 'grow');
    const before = new Set(state.nodes.map((n) => n.name));
    const driver = DRIVERS[kind];
    if (!sameShape(state.plan.shape, shape)) {
      preflight(kind, shape.nodes, opts.facts ?? machineFacts(), { running: runningVms(kind, state) });
      const grown = growLab(state.plan, shape);
      state.plan = grown;
      for (const n of grown.nodes) if (!before.has(n.name)) state.nodes.push({ ...n, dir: join(state.runDir, n.name) });
      await writeState(state);
      progress.step(`growing the lab to ${shape.nodes} nodes, ${shape.subgrids} sub-grids, ${shape.regions} regions (${grown.nodes.length - before.size} new nodes)`);
    }
    // Every time, not only when the plan grew: a grow that died after recording the plan left the
    // name server with the old names, and its re-run (same totals) finds the plan already grown.
    if (dnsAlive(state.dns)) await updateDns(state.dns!, state.plan);
    // `up` of the grown shape builds exactly the nodes that are not up: the new ones, and those an
    // interrupted grow recorded but did not bring up (which a re-run must report as added too).
    const building = new Set(nodesToBoot(state.nodes, (n) => driver.alive(n)).map((n) => n.name));
    const result = await up({ ...shape, dir: req.dir }, opts);
    return { ...result, added: result.nodes.filter((n) => building.has(n.name)) };
  }, lockWarning(opts));
}

export interface LabDownResult {
  dir: string;
  /** False when there was no lab to remove. */
  removed: boolean;
  /**
   * Set when the slot lab.json names is held by this other lab directory (it took the slot freed by
   * a reboot): only this directory's files were removed, nothing machine-wide.
   */
  otherLab?: string;
  /** The topology.yaml left in place: it was edited since the lab wrote it. */
  keptTopology?: string;
  processes: number;
  links: string[];
  namespaces: string[];
  cgroups: number;
  mounts: string[];
  ms: number;
}

/**
 * The grid state files an apply of the lab's topology wrote beside it, with their backups (state/state.ts
 * names them; lab may not import it): a backup left behind would offer a gone lab's state as the way back.
 */
function gridStateFiles(dir: string): string[] {
  const stateDir = join(dir, '.gridops');
  try {
    return readdirSync(stateDir).filter((f) => /\.state\.json(\.backup)?$/.test(f)).map((f) => join(stateDir, f));
  } catch {
    return [];
  }
}

/**
 * Removes the lab's files in its directory (not the keys, nor the proxy's cache), but a topology.yaml
 * edited since the lab wrote it (`topologySha256`, as lab.json records it): that is the user's work,
 * which `up` and `grow` refuse to overwrite too. Returns the mounts it undid there, and the topology kept.
 */
async function removeLabFiles(dir: string, topologySha256: string | undefined, progress: Progress): Promise<{ mounts: string[]; keptTopology?: string }> {
  const mounts = await unmountUnder(join(dir, 'nodes'));
  await removePath(join(dir, 'nodes'));
  const files = labFiles(dir);
  const keep = topologyEdited(files.topology, topologySha256);
  if (keep) progress.step(`kept ${files.topology}: it was edited since the lab wrote it (the lab's other files were removed)`);
  for (const f of [files.knownHosts, ...(keep ? [] : [files.topology]), files.state]) await removePath(f);
  // The grid's state beside the lab's topology (gridops' `.gridops/GRID.state.json`) describes hosts that
  // are gone: a new lab with the same node names would be planned as nodes that already run agents, with
  // no bootstrap electorate, and its overlay would never form (a second `npm run demo` did exactly that).
  for (const f of gridStateFiles(dir)) await removePath(f);
  return { mounts, ...(keep ? { keptTopology: files.topology } : {}) };
}

/**
 * Removes everything the lab made, and nothing else: its processes (by PID, found from lab.json,
 * its cgroups and its namespaces), links, namespaces, mounts, cgroups and runtime files, and the
 * grid state gridops recorded for its hosts. The client key, the grid key and the package cache
 * stay for the next `up`.
 */
export async function labDown(dir: string, opts: RunOptions = {}): Promise<LabDownResult> {
  if ((opts.facts ?? machineFacts()).uid !== 0) throw new PreflightError('gridops lab down needs root', 'run it again with sudo, or as root');
  if (!existsSync(dir) && claimedSlot(dir) === null) return { dir, removed: false, processes: 0, links: [], namespaces: [], cgroups: 0, mounts: [], ms: 0 };
  return withLabLock(dir, () => down(dir, opts), lockWarning(opts));
}

async function down(dir: string, opts: RunOptions): Promise<LabDownResult> {
  const progress = opts.progress ?? silentProgress;
  const t0 = Date.now();
  const state = readState(dir);
  const slot = state?.plan.slot ?? claimedSlot(dir);
  const result: LabDownResult = { dir, removed: false, processes: 0, links: [], namespaces: [], cgroups: 0, mounts: [], ms: 0 };
  if (slot === null || slot === undefined) {
    result.ms = Date.now() - t0;
    return result;
  }
  result.removed = true;
  // Everything machine-wide below is found by the slot's prefix: sweeping a slot another lab holds
  // would destroy that lab (its nodes, bridge and runtime files).
  // (lab.json itself names this directory: readState refuses one that names another.)
  const otherLab = await holdSlotForDown(dir, slot);
  if (otherLab !== null) {
    progress.step(`slot ${slot} of the lab in ${dir} belongs to the lab in ${otherLab}: removing only the files in ${dir}, no process, link or cgroup`);
    const removed = await removeLabFiles(dir, state?.topologySha256, progress);
    if (removed.keptTopology) result.keptTopology = removed.keptTopology;
    result.otherLab = otherLab;
    result.ms = Date.now() - t0;
    return result;
  }
  const prefix = labPrefix(slot);
  const before = leftoverNetwork(prefix);
  progress.step(`removing the lab in ${dir}${state ? ` (${state.nodes.length} ${state.plan.shape.kind} nodes)` : ''}`);

  const cgroupsBefore = labHierarchies().flatMap((h) => {
    try {
      return readdirSync(h).filter((e) => e.startsWith(prefix)).map((e) => join(h, e));
    } catch {
      return [];
    }
  });
  // Every process of the lab as it is now, to return only once they have all left the process table.
  const labProcesses = [
    ...(state?.nodes.flatMap((n) => [...(n.pid ? [n.pid] : []), ...pidsInNetns(n.netns)]) ?? []),
    ...cgroupsBefore.flatMap((d) => pidsInCgroupTree(d)),
  ].flatMap((pid) => processIdentity(pid) ?? []);
  if (state) {
    const driver = DRIVERS[state.plan.shape.kind];
    const limit = pLimit(16);
    await Promise.all(
      state.nodes.map((n) =>
        limit(async () => {
          result.processes += await driver.stop(n);
          progress.detail(`${n.name} stopped`);
        }),
      ),
    );
    if (await stopProxy(state.proxy)) result.processes++;
    if (await stopDns(state.dns)) result.processes++;
    await deleteNodeNetworks(state.plan.shape.kind, state.nodes);
    await deleteBridge(state.plan);
  }
  // Sweep by prefix: anything an interrupted `up` made before recording it. Processes are found
  // by what marks them as the lab's: their cgroup, their network namespace, or qemu's process name.
  const netnsLeft = leftoverNetwork(prefix).netns;
  const qemus = pidsWithArg(`process=gridops-lab-${prefix}`);
  if (qemus.length) await terminate(qemus, 3000);
  const strays = await stopStrayDaemons(dir);
  result.processes += strays + qemus.length + (await killCgroupTrees(cgroupsBefore, () => netnsLeft.flatMap((ns) => pidsInNetns(ns))));
  for (const d of cgroupsBefore) {
    if (!(await removeCgroupTree(d))) throw new LabError(`could not remove cgroup ${d}`, 'a process is still in it; see its cgroup.procs');
  }
  result.cgroups = cgroupsBefore.length;
  const unreaped = await waitUntilReaped(labProcesses, 10_000);
  if (unreaped.length) progress.detail(`${unreaped.length} killed processes not yet reaped by their parent (${unreaped.join(', ')})`);
  await sweepNetwork(prefix);
  result.links = before.links;
  result.namespaces = before.netns;
  const runDir = join(runRoot(), String(slot));
  const runMounts = await unmountUnder(runDir);
  const removed = await removeLabFiles(dir, state?.topologySha256, progress);
  result.mounts = [...runMounts, ...removed.mounts];
  if (removed.keptTopology) result.keptTopology = removed.keptTopology;
  await removePath(runDir);
  await releaseSlot(dir, slot);
  await cleanAbandonedBuilds(join(resolveCacheDir(), 'rootfs'));
  result.ms = Date.now() - t0;
  progress.done(`lab down: removed ${result.links.length} links, ${result.namespaces.length} namespaces, ${result.cgroups} cgroups`, result.ms);
  return result;
}

export interface NodeStatus extends LabNodeSummary {
  ok: boolean;
  hostname?: string;
  /** `systemctl is-system-running` (container, vm). */
  systemState?: string;
  ms: number;
  error?: string;
}

export interface LabStatusResult {
  dir: string;
  kind: LabKind;
  phase: LabState['phase'];
  /** Every node answers, and the package proxy and the name server run (`up` repairs a lab without either). */
  healthy: boolean;
  proxy: { url: string; running: boolean };
  /** The lab's name server (dnsmasq on the bridge address). */
  dns: { address: string; running: boolean };
  nodes: NodeStatus[];
}

/** The ssh argv that reaches a lab node with strict host-key checking against the lab's known_hosts. */
export function sshArgs(state: Pick<LabState, 'files'>, address: string, command: string, connectTimeoutS = 5): string[] {
  return [
    '-F', '/dev/null',
    '-i', state.files.identity,
    '-o', `UserKnownHostsFile=${state.files.knownHosts}`,
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes',
    '-o', 'IdentitiesOnly=yes',
    '-o', `ConnectTimeout=${connectTimeoutS}`,
    '-o', 'LogLevel=ERROR',
    `root@${address}`,
    command,
  ];
}

/** Checks every node over SSH (strict host-key checking), in parallel, and the lab's package proxy and name server. */
export async function labStatus(dir: string, _opts: RunOptions = {}): Promise<LabStatusResult> {
  const state = readState(dir);
  if (!state) throw new LabError(`no lab in ${dir}`, `start one with \`${labCommand('up', dir)}\``);
  const kind = state.plan.shape.kind;
  const command = kind === 'netns' ? 'hostname' : 'hostname; systemctl is-system-running 2>/dev/null || true';
  const limit = pLimit(16);
  const nodes = await Promise.all(
    state.nodes.map((n) =>
      limit(async (): Promise<NodeStatus> => {
        const t = Date.now();
        const r = await execa('ssh', sshArgs(state, n.address, command), { reject: false, timeout: 20_000, stdin: 'ignore' });
        const [hostname, systemState] = r.stdout.trim().split('\n');
        const ok = r.exitCode === 0 && hostname === n.name && (kind === 'netns' || systemState === 'running' || systemState === 'degraded');
        return { ...summary(n), ok, hostname, systemState, ms: Date.now() - t, error: r.exitCode === 0 ? undefined : (r.stderr.trim().split('\n').pop() ?? `exit ${r.exitCode}`) };
      }),
    ),
  );
  const running = proxyAlive(state.proxy);
  const dnsRunning = dnsAlive(state.dns);
  return {
    dir,
    kind,
    phase: state.phase,
    healthy: state.phase === 'ready' && nodes.every((n) => n.ok) && running && dnsRunning,
    proxy: { url: state.proxy ? `http://${state.proxy.address}:${state.proxy.port}` : '', running },
    dns: { address: state.dns?.address ?? '', running: dnsRunning },
    nodes,
  };
}
