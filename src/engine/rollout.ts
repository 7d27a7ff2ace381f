import { applyPlan, type HostOutcome } from './applier.js';
import type { ApplyEvent } from './gate.js';
import type { PlannedHost } from './planner.js';
import { rolloutBatches } from './rollout-batches.js';
import { hostsWithAgent, verifyOverlay, type OverlayVerification } from './verify.js';
import { askAgent } from '../status/agent-view.js';
import { allNodes, type Grid } from '../topology/model.js';
import { fanOut } from '../transport/fan-out.js';

/** Where a rolling apply stopped, and why; the hosts after it are untouched. */
export interface RolloutStop {
  batch: number;
  batches: number;
  reason: 'failed' | 'unhealthy' | 'interrupted';
  detail: string;
}

export interface RolloutResult {
  outcomes: HostOutcome[];
  batches: string[][];
  stopped?: RolloutStop;
  /** The last batch's gate: what the overlay converged to once every batch was done. */
  lastGate?: OverlayVerification;
}

/**
 * A rolling apply (DESIGN, rolling upgrade): the changed hosts in batches bounded by
 * `rollout.maxUnavailable` (overall and per sub-grid), ordinary nodes first and the current
 * super peers last, so that each restarts after its sub-grid can take its role over (the agent
 * hands it over on SIGTERM). After each batch the overlay must converge within
 * `rollout.healthTimeout`, or the rollout stops there, the rest untouched and serving.
 * Re-running resumes: the hosts already done plan no change.
 */
export async function applyRolling(
  grid: Grid,
  planned: readonly PlannedHost[],
  options: { concurrency: number; signal?: AbortSignal; emit: (e: ApplyEvent) => void; progress: (message: string) => void; replaceSandbox?: boolean },
): Promise<RolloutResult> {
  const agents = hostsWithAgent(planned);
  const roles = await fanOut(agents, (s) => s.node.name, (s) => askAgent(s.transport), { concurrency: options.concurrency });
  const superPeers = new Set<string>();
  roles.forEach((r, i) => {
    if (r.status === 'ok' && r.value.role === 'super-peer') superPeers.add(agents[i]!.node.name);
  });
  const changed = planned.filter((p) => p.plan.changes.length > 0);
  const nodes = allNodes(grid);
  const subgridOf = (p: PlannedHost) => `${p.session.node.region}/${p.session.node.subgrid}`;
  const sizes = { grid: nodes.length, subgrids: new Map<string, number>() };
  for (const n of nodes) sizes.subgrids.set(`${n.region}/${n.subgrid}`, (sizes.subgrids.get(`${n.region}/${n.subgrid}`) ?? 0) + 1);
  const batches = rolloutBatches(
    changed.map((p) => ({ host: p.session.node.name, subgrid: subgridOf(p), superPeer: superPeers.has(p.session.node.name) })),
    grid.rollout,
    sizes,
  );

  const outcomes = new Map<string, HostOutcome>(planned.map((p) => [p.session.node.name, { host: p.session.node.name, status: 'unchanged', applied: 0 }]));
  const skipRest = (from: number) => {
    for (const batch of batches.slice(from)) for (const host of batch) outcomes.set(host, { host, status: 'skipped', applied: 0 });
  };
  let lastGate: OverlayVerification | undefined;
  const done = (stopped?: RolloutStop): RolloutResult => ({ outcomes: planned.map((p) => outcomes.get(p.session.node.name)!), batches, ...(stopped ? { stopped } : {}), ...(lastGate && !stopped ? { lastGate } : {}) });

  for (const [i, batch] of batches.entries()) {
    const n = `${i + 1}/${batches.length}`;
    if (options.signal?.aborted) {
      skipRest(i);
      return done({ batch: i + 1, batches: batches.length, reason: 'interrupted', detail: 'interrupted before the batch started' });
    }
    const kind = batch.every((h) => superPeers.has(h)) ? 'super peers, which hand their role over' : 'nodes';
    options.progress(`rolling: batch ${n}: ${batch.join(', ')} (${kind})`);
    const results = await applyPlan(
      changed.filter((p) => batch.includes(p.session.node.name)),
      { concurrency: options.concurrency, failFast: false, signal: options.signal, emit: options.emit, replaceSandbox: options.replaceSandbox },
    );
    for (const r of results) outcomes.set(r.host, r);
    const failed = results.filter((r) => r.status === 'failed');
    if (failed.length) {
      skipRest(i + 1);
      return done({ batch: i + 1, batches: batches.length, reason: 'failed', detail: `${failed.map((f) => f.host).join(', ')} failed` });
    }
    if (agents.length === 0) continue;
    const gate = (lastGate = await verifyOverlay(agents, { concurrency: options.concurrency, deadline: Date.now() + grid.rollout.healthTimeoutMs, signal: options.signal }));
    if (!gate.converged) {
      skipRest(i + 1);
      return done({ batch: i + 1, batches: batches.length, reason: 'unhealthy', detail: `the overlay did not converge within ${Math.round(grid.rollout.healthTimeoutMs / 1000)} s: ${gate.waitingFor.slice(0, 5).join('; ')}` });
    }
    options.progress(`rolling: batch ${n} healthy after ${(gate.ms / 1000).toFixed(1)} s: ${Object.entries(gate.superPeers).map(([sg, p]) => `${sg} ${p}`).join(', ')}`);
  }
  return done();
}
