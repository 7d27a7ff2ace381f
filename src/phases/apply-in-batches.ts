import { APPLY_IN_BATCHES_TITLE } from './apply-in-batches-title.js';
import type { ApplyEvent } from '../engine/gate.js';
import { applyPlan, type HostOutcome } from '../engine/applier.js';
import type { HostSession } from '../facts/host-session.js';
import type { Batch } from '../overlay/batch-strategy.js';
import { pollOverlay } from '../overlay/poll.js';
import { peersNow } from '../overlay/super-peers-now.js';
import { countPlan, hasChanges, hostHasWork } from '../plan/plan.js';
import { namedFew } from '../named-few.js';
import { plural } from '../plural.js';
import { GATE_STABLE_MS } from '../topology/gate-stable-window.js';
import { printableText } from '../text/printable-text.js';
import { subgridKey } from '../topology/subgrid-key.js';
import { installedAgentVersions } from './agent-deployed.js';
import { agentSessions } from './agent-sessions.js';
import { chooseBatchStrategy } from './choose-batch-strategy.js';
import type { Phase } from './phase.js';
import { recordOverlay } from './record-overlay.js';
import { recordOwedAhead } from './owed-ahead.js';
import { heldBackReason, removalsHeldBackBy, removalsHeldBackMessage } from './removals-held-back.js';
import { ranAgent } from './ran-agent.js';
import { renamedAgentsGone } from './renamed-agents-gone.js';
import type { BatchStop, RunContext } from './run-context.js';
import { unbornGroupsOfRun } from './unborn-groups-of-run.js';
import { knownAgentNodes } from './known-agent-nodes.js';

/**
 * DESIGN step 6: the one batch loop. The strategy cuts the changed hosts into batches (and the
 * ones not yet done again after each gate, from the super peers the agents name then); each batch
 * goes through the mutation gate (hosts in parallel, bounded); a batch with a gate must see the
 * overlay converge before the next starts. The loop stops at a failed gated batch, a failed
 * gate, `--fail-fast`, or Ctrl-C, and every host of a later batch is reported as untouched. The
 * nodes to decommission, last, are left alone (skipped) where a host before them failed.
 */
export const applyInBatches: Phase = {
  title: APPLY_IN_BATCHES_TITLE,
  shouldRun: (ctx) => hasChanges(ctx.plan),
  async run(ctx) {
    const { options } = ctx;
    const strategy = await chooseBatchStrategy(ctx);
    const changed = ctx.planned.filter((p) => hostHasWork(p.plan)).map((p) => ({ host: p.session.node.name, region: p.session.node.region, subgrid: p.session.node.subgrid }));
    let batches = strategy.batches(changed);
    const n = countPlan(ctx.plan);
    ctx.say(`applying ${plural(n.create + n.update + n.delete + n.run, 'change')} on ${plural(n.hostsWithChanges, 'host')}${batches.length > 1 ? `, ${strategy.name}, in ${batches.length} batches` : ''}`);

    const outcomes = new Map<string, HostOutcome>(ctx.planned.map((p) => [p.session.node.name, { host: p.session.node.name, status: 'unchanged', applied: 0 }]));
    // The hosts whose agent the run asks after their changes (the rolling gate, verify): the only ones whose connection it still needs.
    const withAgent = agentSessions(ctx);
    const asksAgent = new Set(withAgent);
    const stop = (i: number, reason: BatchStop['reason'], detail: string) => {
      for (const batch of batches.slice(i + 1)) for (const host of batch.hosts) outcomes.set(host, { host, status: 'skipped', applied: 0 });
      ctx.stopped = { batch: i + 1, batches: batches.length, reason, detail };
    };
    // An interrupt inside batch i (`cutShort`: some of its hosts never started) leaves the batches before it done, not it.
    // The overlay an earlier gate saw is not the overlay now: forget it, as verify records none after Ctrl-C.
    const interrupt = (i: number, detail: string, cutShort: boolean) => {
      stop(i, 'interrupted', detail);
      if (cutShort) ctx.stopped = { ...ctx.stopped!, batch: i };
      ctx.overlay = undefined;
    };
    const emit = (e: ApplyEvent): void => {
      if (e.type === 'host-done') ctx.profile.host(e.host, 'apply', e.ms);
      options.emit?.(e);
    };
    // The super peers the previous gate agreed on, to say when one moved.
    let lastSuperPeers: Record<string, string | null> = {};
    for (let i = 0; i < batches.length; i++) {
      const batch = batches[i]!;
      const label = `batch ${i + 1}/${batches.length}`;
      if (ctx.interrupted) {
        stop(i - 1, 'interrupted', `before ${label} started`);
        break;
      }
      const earlier = batches.slice(0, i).flatMap((b) => b.hosts.map((h) => outcomes.get(h)!));
      // Without --fail-fast a failed ungated batch does not stop the loop, but the decommissions wait for a grid in place.
      // An unreachable node holds them back only where its first apply never ran: one that runs an
      // agent (a disk died) is down, not missing, and would otherwise hold every removal back.
      const recorded = await ctx.recordedState();
      const neverApplied = ctx.unreachable.map((u) => u.node.name).filter((name) => !ranAgent(recorded, name, ctx.renamed));
      const heldBackBy = removalsHeldBackBy(batch, ctx.removing, earlier, neverApplied);
      if (heldBackBy.length) {
        ctx.say(removalsHeldBackMessage(batch.hosts, heldBackBy));
        for (const host of batch.hosts) {
          outcomes.set(host, { host, status: 'skipped', applied: 0 });
          emit({ type: 'host-skipped', host, reason: `not decommissioned: ${heldBackReason(heldBackBy)}` });
        }
        continue;
      }
      if (batches.length > 1) ctx.say(`${label}: ${batch.hosts.join(', ')} (${batch.label})`);
      const hosts = ctx.planned.filter((p) => batch.hosts.includes(p.session.node.name));
      // Before any host of the batch changes: a run that dies in it records nothing of its own.
      await recordOwedAhead(ctx, hosts, earlier);
      const results = await applyPlan(
        hosts,
        { concurrency: options.concurrency, failFast: options.failFast ?? false, signal: options.signal, emit, replaceSandbox: options.replaceSandbox ?? false, aptLockWait: options.aptLockWait, doneWith: (p) => !asksAgent.has(p.session) },
      );
      for (const r of results) {
        outcomes.set(r.host, r);
        // A succeeded step's stderr is shown nowhere: what a change repaired or waited for on its way
        // is said here (resources/step-warning.ts), as a warning of the run, escaped, since a host wrote it.
        for (const w of r.warnings ?? []) ctx.warn(`${r.host}: ${w.id}: ${printableText(w.message)}`);
      }
      // A batch no gate follows (the decommissions after a rolling apply's gates) changes the
      // overlay an earlier gate saw: forget that, so the verify phase asks again and the run and
      // the state report the overlay after it, not one that may name a node now gone (review B4).
      if (!batch.gate) ctx.overlay = undefined;
      const failed = results.filter((r) => r.status === 'failed');
      if (failed.length && (batch.gate || options.failFast)) {
        stop(i, 'failed', `${failed.map((f) => f.host).join(', ')} failed`);
        break;
      }
      // Ctrl-C while the batch applied, gated or not: some of its hosts were never started, and the batch is not done.
      const notStarted = batch.hosts.filter((h) => outcomes.get(h)!.status === 'skipped');
      if (ctx.interrupted && notStarted.length) {
        interrupt(i, `during ${label} (${namedFew(notStarted)} not started)`, true);
        break;
      }
      if (!batch.gate) continue;
      const agents = gateAgents(withAgent, batches.slice(0, i + 1), batches.slice(i + 1));
      if (agents.length === 0) continue;
      // A renamed node's old name, once its batch left it, is no super peer, though its members name it until they notice.
      // (Not the nodes to decommission: they leave in a batch after the last gate, and run until then.)
      const gone = renamedAgentsGone(ctx, new Set(batches.slice(0, i + 1).flatMap((b) => b.hosts)));
      // A first election that waits for voters outside the run cannot happen however long the gate waits (verify's rule): not judged.
      const unborn = await unbornGroupsOfRun(ctx);
      // Every agent must run the version installed on its host: a batch whose restart left the old
      // process answering does not pass, nor does an old process on a host with nothing to change.
      // A host of a later batch is judged at the gate after its own.
      const batchesLater = new Set(batches.slice(i + 1).flatMap((b) => b.hosts));
      const expected = installedAgentVersions(ctx.planned, (host) => (batchesLater.has(host) ? undefined : outcomes.get(host)));
      const check = await pollOverlay(agents, { concurrency: options.concurrency, deadline: Date.now() + ctx.grid.rollout.healthTimeoutMs, signal: options.signal, stableForMs: GATE_STABLE_MS, gone, unborn, topology: knownAgentNodes(ctx, await ctx.recordedState()), expected });
      if (ctx.interrupted) {
        // Ctrl-C ends the poll early: what it last saw says nothing of the overlay's health, and
        // this batch's hosts are done (a batch cut short stopped above), so this is an interrupt
        // after the batch, not a failed gate.
        interrupt(i, `during the health check after ${label}`, false);
        break;
      }
      const record = recordOverlay(ctx, check, agents.length);
      if (!record.converged) {
        stop(i, 'unhealthy', `the overlay did not converge within ${Math.round(ctx.grid.rollout.healthTimeoutMs / 1000)} s: ${record.waitingFor.slice(0, 5).join('; ')}`);
        break;
      }
      const moved = (sg: string, p: string | null) => (sg in lastSuperPeers && lastSuperPeers[sg] !== p ? ` (was ${lastSuperPeers[sg] ?? 'none'})` : '');
      ctx.say(`${label} healthy after ${(record.ms / 1000).toFixed(1)} s: ${Object.entries(record.superPeers).map(([sg, p]) => `${sg} ${p}${moved(sg, p)}`).join(', ')}`);
      lastSuperPeers = record.superPeers;
      // The role can move during a batch of ordinary nodes (an election, a handover to a better
      // node), and a batch made from the first answer would then restart a super peer as an
      // ordinary node, with no handover (review H3). So the hosts not yet done are cut into
      // batches again from the super peers the agents name now: the invariant stays that a
      // sub-grid's super peer goes last in it, and hands over.
      const done = new Set(batches.slice(0, i + 1).flatMap((b) => b.hosts));
      const leftBefore = batches.length - (i + 1);
      batches = [...batches.slice(0, i + 1), ...strategy.batches(changed.filter((h) => !done.has(h.host)), peersNow(check.answers))];
      // The labels count the new total (batch i/M): say why M changed, once, where it changed.
      const left = batches.length - (i + 1);
      if (left !== leftBefore) ctx.say(`the hosts left, cut again from the super peers the agents name now: ${plural(left, 'batch', 'batches')} left, not ${leftBefore} (${batches.length} in all)`);
    }
    ctx.outcomes = ctx.planned.map((p) => outcomes.get(p.session.node.name)!);
  },
};

/**
 * The agents a gate asks: those that ran before this run (overlay-before-rolling asked them), and
 * those the batches done so far deployed. An agent a later batch deploys does not run yet, and a
 * gate that waited for it failed the batch before it ("n4: not answering") in every rolling run
 * that also adds a node, deploys a new site, or follows a first apply that failed on some nodes.
 * In a sub-grid born in this run (none of its agents ran before), its agents are asked once the
 * batches deployed all of them: the first alone searches for the votes of its birth electorate
 * (bootstrap-electorate) and cannot elect, and the sub-grid has no super peer yet to keep. A
 * region born in this run likewise, as a whole: its first sub-grid elects a super peer, but the
 * region's first vote waits for the super peers of its other sub-grids, still to deploy, and a
 * gate asking the first would fail the rollout half-way ("r2: no region peer yet"). Such a region
 * has no super or region peer yet to keep; the gate after its last node asks all of its agents.
 * This owns only when a gate may ask a group's agents, judged from the agents the run found at
 * connect (facts), not the state: who votes in a group's first election is overlay/birth-electorate.ts's
 * rule, and whether that election can happen in this run first-election-waits.ts's (unbornGroupsOfRun).
 */
function gateAgents(withAgent: readonly HostSession[], done: readonly Batch[], later: readonly Batch[]): HostSession[] {
  const ranBefore = (s: HostSession) => s.facts.agentVersion !== null;
  const applied = new Set(done.flatMap((b) => b.hosts));
  const toDeploy = new Set(later.flatMap((b) => b.hosts));
  const unbornIn = (group: (s: HostSession) => string) => {
    const running = new Set(withAgent.filter(ranBefore).map(group));
    return new Set(withAgent.filter((s) => !running.has(group(s)) && toDeploy.has(s.node.name)).map(group));
  };
  const unbornSubgrids = unbornIn((s) => subgridKey(s.node));
  const unbornRegions = unbornIn((s) => s.node.region);
  const unborn = (s: HostSession) => unbornSubgrids.has(subgridKey(s.node)) || unbornRegions.has(s.node.region);
  return withAgent.filter((s) => ranBefore(s) || (applied.has(s.node.name) && !unborn(s)));
}

/** Every planned host is unchanged when the apply phase had nothing to do. */
export function unchangedOutcomes(ctx: RunContext): HostOutcome[] {
  return ctx.planned.map((p) => ({ host: p.session.node.name, status: 'unchanged', applied: 0 }));
}
