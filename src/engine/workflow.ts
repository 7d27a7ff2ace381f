import { ApplyFailedError, InterruptedError, OverlayNotConvergedError, PlanningError, StalePlanError } from '../errors/index.js';
import { hostsWithAgent, unlikePlan, verifyOverlay, type OverlayVerification } from './verify.js';
import { applyRolling, type RolloutStop } from './rollout.js';
import { loadPlaybook, type LoadedPlaybook } from '../playbooks/load.js';
import { needsGridKey, type Secrets } from '../playbooks/instantiate.js';
import { loadOrCreateGridKey } from '../secrets/grid-key.js';
import { expandHome } from '../transport/ssh-transport.js';
import { countPlan, hasChanges, planFingerprint, type Plan, type PlanCounts } from '../plan/plan.js';
import { StateLock } from '../state/lock.js';
import { readState, statePaths, writeState } from '../state/state.js';
import { loadTopology } from '../topology/load.js';
import { allNodes, type Grid, type Node } from '../topology/model.js';
import type { Transport } from '../transport/transport.js';
import type { TransportLogger } from '../transport/logger.js';
import { applyPlan, type HostOutcome } from './applier.js';
import type { ApplyEvent } from './gate.js';
import { assemblePlan, planHost, type PlannedHost } from './planner.js';
import { Fleet } from './session.js';
import { GRIDOPS_VERSION } from '../version.js';

export interface RunOptions {
  topologyFile: string;
  playbooks: string[];
  concurrency: number;
  acceptNewHostKeys: boolean;
  /** Only these node names (default: every node). */
  limit?: string[];
  stateDir?: string;
  signal?: AbortSignal;
  /** Phase progress for humans: a message and the milliseconds since the run started. */
  progress: (message: string, elapsedMs: number) => void;
  becomePrompt?: () => Promise<string>;
  /** Structured run log (`--log-file`). */
  logger?: TransportLogger;
  /** Injected transports, for tests; SSH by default. */
  connect?: (node: Node) => Promise<Transport>;
}

/**
 * The grid key, when a playbook places it: the topology's `agent.keyFile`, else one kept
 * beside the state; created (mode 0600) the first time. Every node of a grid shares it.
 */
async function loadSecrets(grid: Grid, nodes: readonly Node[], playbooks: readonly LoadedPlaybook[], options: RunOptions): Promise<Secrets> {
  if (!needsGridKey(playbooks)) return {};
  const named = [...new Set(nodes.map((n) => n.settings.agent.keyFile).filter((f): f is string => f !== undefined))];
  if (named.length > 1) throw new PlanningError(`the nodes name ${named.length} different agent.keyFile values: ${named.join(', ')}`, 'a grid has one key: set agent.keyFile once, under defaults');
  const file = named[0] ? expandHome(named[0]) : statePaths(options.topologyFile, grid.name, options.stateDir).gridKey;
  const key = await loadOrCreateGridKey(file);
  if (key.created) options.progress(`created the grid key ${file} (mode 0600); keep it safe, every agent of the grid needs it`, 0);
  return { gridKey: key.bytes };
}

function connectOptions(options: RunOptions) {
  return { concurrency: options.concurrency, acceptNewHostKeys: options.acceptNewHostKeys, signal: options.signal, connect: options.connect, becomePrompt: options.becomePrompt, logger: options.logger };
}

export interface PlanRun {
  grid: Grid;
  plan: Plan;
  counts: PlanCounts;
  planned: PlannedHost[];
  fleet: Fleet;
}

function selectNodes(grid: Grid, limit?: string[]): Node[] {
  const nodes = allNodes(grid);
  if (!limit?.length) return nodes;
  const unknown = limit.filter((n) => !nodes.some((node) => node.name === n));
  if (unknown.length) throw new PlanningError(`unknown node(s) in --limit: ${unknown.join(', ')}`, `node names are: ${nodes.map((n) => n.name).slice(0, 10).join(', ')}${nodes.length > 10 ? ', …' : ''}`);
  return nodes.filter((n) => limit.includes(n.name));
}

/** Steps 1 to 3 of apply: validate everything, connect and gather facts, then plan from real state. The caller closes `fleet`. */
export async function runPlan(options: RunOptions): Promise<PlanRun> {
  const t0 = performance.now();
  const say = (message: string) => options.progress(message, Math.round(performance.now() - t0));
  const grid = await loadTopology(options.topologyFile);
  const playbooks: LoadedPlaybook[] = options.playbooks.map(loadPlaybook);
  const nodes = selectNodes(grid, options.limit);
  const fleet = new Fleet();
  try {
    say(`connecting to ${nodes.length} host${nodes.length === 1 ? '' : 's'} (verified host keys) and reading facts and current state`);
    const secrets = await loadSecrets(grid, nodes, playbooks, options);
    const { results, unreachable } = await fleet.readEach(nodes, connectOptions(options), (host) => planHost(grid, host, playbooks, secrets));
    for (const u of unreachable) say(`${u.node.name}: unreachable: ${u.error.message}`);
    const plan = assemblePlan(grid, results, unreachable, playbooks);
    const planned = results.flatMap((r) => (r.planned ? [r.planned] : []));
    if (options.signal?.aborted) throw new InterruptedError('interrupted while planning; nothing was changed');
    say('planned');
    return { grid, plan, counts: countPlan(plan), planned, fleet };
  } catch (err) {
    await fleet.close();
    throw err;
  }
}

export interface ApplyResult {
  grid: string;
  counts: PlanCounts;
  hosts: HostOutcome[];
  unreachable: Array<{ host: string; error: string }>;
  /** Step 5: the agents' agreed overlay; absent when no host runs an agent or with --no-verify. */
  overlay?: OverlayVerification;
  ms: number;
}

/**
 * apply: plan (or check a saved plan against the hosts), confirm, then apply exactly the plan
 * through the mutation gate, under the state lock, and record the outcome in the state.
 */
export async function runApply(
  options: RunOptions & {
    savedPlan?: Plan;
    failFast: boolean;
    /** Ask the agents afterwards whether the overlay converged (default true). */
    verify?: boolean;
    /** Apply in health-gated batches, super peers last (applyRolling). */
    rolling?: boolean;
    /** Perform changes that restart the sandbox VM (without it they are refused and left untouched). */
    replaceSandbox?: boolean;
    confirm: (plan: Plan) => Promise<boolean>;
    emit: (e: ApplyEvent) => void;
    onPlan: (plan: Plan) => void;
  },
): Promise<ApplyResult> {
  const t0 = performance.now();
  const grid = await loadTopology(options.topologyFile);
  const paths = statePaths(options.topologyFile, grid.name, options.stateDir);
  const lock = await StateLock.acquire(paths.lock, `gridops apply ${options.topologyFile}`, (m) => options.progress(`warning: ${m}`, 0));
  let run: PlanRun | undefined;
  try {
    run = await runPlan(options);
    const { plan, planned } = run;
    if (options.savedPlan) assertPlanStillValid(options.savedPlan, plan);
    options.onPlan(plan);
    const planningErrors = plan.hosts.filter((h) => h.error?.kind === 'planning');
    if (planningErrors.length) {
      const first = planningErrors[0]!.error!;
      const others = planningErrors.length > 1 ? ` (and ${planningErrors.length - 1} more host(s): ${planningErrors.slice(1).map((h) => h.host).join(', ')})` : '';
      throw new PlanningError(`${first.message}${others}; nothing was changed`, first.hint ?? 'fix the problems listed above and run again');
    }
    const unreachable = plan.hosts.filter((h) => h.error?.kind === 'unreachable').map((h) => ({ host: h.host, error: h.error!.message }));
    let hosts: HostOutcome[] = planned.map((p) => ({ host: p.session.node.name, status: 'unchanged', applied: 0 }));
    let stopped: RolloutStop | undefined;
    let overlay: OverlayVerification | undefined;
    if (hasChanges(plan)) {
      if (!(await options.confirm(plan))) throw new InterruptedError('apply cancelled; nothing was changed', 'run again and answer yes, or pass --yes');
      const n = run.counts;
      options.progress(`applying ${n.create + n.update + n.delete + n.run} change(s) on ${n.hostsWithChanges} host(s)`, Math.round(performance.now() - t0));
      if (options.rolling) {
        const rollout = await applyRolling(grid, planned, { concurrency: options.concurrency, signal: options.signal, emit: options.emit, replaceSandbox: options.replaceSandbox, progress: (m) => options.progress(m, Math.round(performance.now() - t0)) });
        hosts = rollout.outcomes;
        stopped = rollout.stopped;
        overlay = rollout.lastGate; // the last gate already verified the whole overlay
      } else {
        const apply = (subset: readonly PlannedHost[]) => applyPlan(subset, { concurrency: options.concurrency, failFast: options.failFast, signal: options.signal, emit: options.emit, replaceSandbox: options.replaceSandbox });
        const first = plannedSuperPeersFirst(plan, planned);
        if (first.length && first.length < planned.length) {
          // DESIGN step 4, the overlay start order: the planned super peers' agents start first, so
          // they are there when the others come, however long the others take to deploy.
          options.progress(`overlay start order: the planned super peers first (${first.map((p) => p.session.node.name).join(', ')}), then the other hosts`, Math.round(performance.now() - t0));
          const done = await apply(first);
          const rest = options.failFast && done.some((h) => h.status === 'failed') ? [] : await apply(planned.filter((p) => !first.includes(p)));
          const byHost = new Map([...done, ...rest].map((h) => [h.host, h]));
          hosts = planned.map((p) => byHost.get(p.session.node.name) ?? { host: p.session.node.name, status: 'skipped', applied: 0 });
        } else {
          hosts = await apply(planned);
        }
      }
    }
    const failed = hosts.filter((h) => h.status === 'failed');
    // Step 5, only when every host is done: a half-applied grid is reported as such, not as an overlay problem.
    const agents = options.verify === false || failed.length || unreachable.length || stopped || options.signal?.aborted ? [] : hostsWithAgent(planned);
    if (agents.length && !overlay) {
      options.progress(`verifying the overlay: asking ${agents.length} agent(s) until every sub-grid has one super peer (up to ${Math.round(grid.rollout.healthTimeoutMs / 1000)} s, rollout.healthTimeout)`, Math.round(performance.now() - t0));
      overlay = await verifyOverlay(agents, { concurrency: options.concurrency, deadline: Date.now() + grid.rollout.healthTimeoutMs, signal: options.signal });
    }
    if (overlay && plan.election && overlay.converged) overlay.unlikePlan = unlikePlan(plan.election, overlay);
    await recordState(paths.state, grid, planned, hosts, options.playbooks, overlay);
    const result: ApplyResult = { grid: grid.name, counts: run.counts, hosts, unreachable, ...(overlay ? { overlay } : {}), ms: Math.round(performance.now() - t0) };
    if (stopped?.reason === 'unhealthy') {
      throw Object.assign(new OverlayNotConvergedError(`rolling apply stopped after batch ${stopped.batch} of ${stopped.batches}: ${stopped.detail}; the hosts of later batches are untouched and serving`, 'see `gridops status FILE`; once the overlay is healthy, run the same apply again to resume (the hosts already done plan no change)'), { result });
    }
    if (stopped?.reason === 'failed') {
      throw Object.assign(new ApplyFailedError(`rolling apply stopped at batch ${stopped.batch} of ${stopped.batches}: ${stopped.detail}; the hosts of later batches are untouched and serving`, 'fix the hosts listed above, then run the same apply again to resume'), { result });
    }
    if (options.signal?.aborted) throw new InterruptedError(`interrupted: ${hosts.filter((h) => h.status === 'applied').length} host(s) applied, the rest left untouched or partly done`, 'run apply again; it continues from the real state of each host');
    if (failed.length || unreachable.length) {
      throw Object.assign(new ApplyFailedError(`${failed.length} host(s) failed and ${unreachable.length} unreachable`, 'fix the hosts listed above, then run apply again; it only does what is still needed'), { result });
    }
    const refused = hosts.flatMap((h) => (h.refused ?? []).map((r) => `${h.host}: ${r.reason}`));
    if (refused.length) {
      throw Object.assign(new ApplyFailedError(`${refused.length} change(s) would restart a sandbox VM and were left untouched: ${refused.join('; ')}`, 'remote users\' work runs in the sandbox: when it may be restarted, run apply again with --replace-sandbox'), { result });
    }
    if (overlay && !overlay.converged) {
      throw Object.assign(
        new OverlayNotConvergedError(`every change was applied, but the overlay did not converge within ${Math.round(grid.rollout.healthTimeoutMs / 1000)} s: ${overlay.waitingFor.slice(0, 5).join('; ')}${overlay.waitingFor.length > 5 ? `; and ${overlay.waitingFor.length - 5} more` : ''}`, '`gridops status FILE` shows each agent\'s view, and `journalctl -u gridagent` on a node its log; raise rollout.healthTimeout if the network is slow'),
        { result },
      );
    }
    return result;
  } finally {
    await run?.fleet.close();
    await lock.release();
  }
}

/** The hosts that the plan elected as the first super peers of fresh sub-grids, and that have changes. */
function plannedSuperPeersFirst(plan: Plan, planned: readonly PlannedHost[]): PlannedHost[] {
  const chosen = new Set((plan.election?.subgrids ?? []).filter((s) => s.status === 'initial').map((s) => s.superPeer));
  return planned.filter((p) => chosen.has(p.session.node.name) && p.plan.changes.length > 0);
}

/** A saved plan may only be applied while the topology and every host still plan the same changes. */
function assertPlanStillValid(saved: Plan, fresh: Plan): void {
  if (saved.topology.sourceHash !== fresh.topology.sourceHash) {
    throw new StalePlanError('the topology changed since the plan was saved', 'make a new plan with `gridops plan --out`');
  }
  const freshByHost = new Map(fresh.hosts.map((h) => [h.host, h]));
  const drifted = saved.hosts.filter((h) => {
    const now = freshByHost.get(h.host);
    return !now || planFingerprint(now) !== planFingerprint(h);
  });
  const added = fresh.hosts.filter((h) => !saved.hosts.some((s) => s.host === h.host) && h.changes.length > 0);
  if (drifted.length || added.length) {
    throw new StalePlanError(`hosts changed since the plan was saved: ${[...drifted, ...added].map((h) => h.host).join(', ')}; nothing was changed`, 'make a new plan with `gridops plan --out` and review it');
  }
}

async function recordState(file: string, grid: Grid, planned: PlannedHost[], outcomes: HostOutcome[], playbooks: string[], overlay: OverlayVerification | undefined): Promise<void> {
  const state = await readState(file, grid.name);
  if (overlay) state.overlay = overlay;
  const now = new Date().toISOString();
  for (const outcome of outcomes) {
    const p = planned.find((x) => x.session.node.name === outcome.host)!;
    const previous = state.hosts[outcome.host];
    const ok = outcome.status === 'applied' || outcome.status === 'unchanged';
    state.hosts[outcome.host] = {
      topologyHash: ok ? grid.sourceHash : previous?.topologyHash ?? '',
      playbooks,
      gridopsVersion: GRIDOPS_VERSION,
      agentVersion: p.session.facts.agentVersion,
      appliedAt: ok ? now : previous?.appliedAt ?? '',
      changesApplied: outcome.applied,
      lastOutcome: outcome.status,
      ...(outcome.failure ? { lastError: `${outcome.failure.step}: ${outcome.failure.error}` } : {}),
    };
  }
  await writeState(file, state);
}
