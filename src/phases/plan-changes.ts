import { assemblePlan } from '../engine/planner.js';
import { InterruptedError } from '../errors/index.js';
import { withFirstElectionWaits } from '../overlay/first-election-waits.js';
import { agentRestartsAtOnce } from './agent-restarts-at-once.js';
import { hostsRestartedTogether } from './agents-restart-in-batches.js';
import { firstElectionsOutsideRun, subgridsNotReached } from './first-elections-outside-run.js';
import { goneAgents } from './gone-agents.js';
import { gridKeyChangeSinceApply } from './grid-key-since-apply.js';
import type { Phase } from './phase.js';
import { markNetworkRename } from './renamed-grid-network.js';
import { markSandboxRemoval } from './retired-hypervisor.js';
import { swapPastMemoryCap } from './swap-past-memory-cap.js';

/**
 * DESIGN step 4: every host's typed changes, in topology order, with the unreachable ones and
 * their error, the initial election of the fresh sub-grids and regions whose agents it starts, and the sub-grids
 * whose agents the plan restarts all at once (among the hosts this run applies in one go), and the
 * hosts whose grid work may swap past its memory cap, and whether the grid key differs from the one
 * the last apply deployed.
 */
export const planChanges: Phase = {
  title: 'plan',
  async run(ctx) {
    if (ctx.interrupted) throw new InterruptedError('interrupted while planning; nothing was changed');
    // Before the plan is assembled: its hosts and the applier's read the same change objects.
    markSandboxRemoval(ctx.grid, ctx.nodes, ctx.sandboxRemovals, ctx.readings.map((r) => r.plan));
    markNetworkRename(ctx.networkRenames, ctx.readings.map((r) => r.plan));
    const plan = assemblePlan(ctx.grid, ctx.readings, ctx.unreachable, ctx.workflow, ctx.births);
    const limit = ctx.options.limit?.length ? { limit: [...ctx.options.limit] } : {};
    const allowOlderGridops = ctx.options.allowOlderGridops ? { allowOlderGridops: true as const } : {};
    const renamedFrom = (host: string) => [...ctx.renamed].filter(([, to]) => to === host).map(([from]) => from);
    const recorded = ctx.removing.size ? (await ctx.recordedState()).hosts : {};
    // A reset reaches nodes never applied too: the plan must not say the state keeps or forgets them.
    const removed = (host: string) => (recorded[host] ? { decommission: true } : { decommission: true, unrecorded: true });
    const marked = plan.hosts.map((h) => (ctx.removing.has(h.host) ? { ...h, ...removed(h.host) } : renamedFrom(h.host).length ? { ...h, renamedFrom: renamedFrom(h.host) } : h));
    ctx.plan = { ...plan, ...limit, ...allowOlderGridops, hosts: marked };
    ctx.planned = ctx.readings.flatMap((r) => (r.planned ? [r.planned] : []));
    // A first election this run cannot complete (--limit on part of a new sub-grid) is planned all the same: the plan says whom it waits for.
    if (ctx.plan.election) ctx.plan = { ...ctx.plan, election: withFirstElectionWaits(ctx.plan.election, await firstElectionsOutsideRun(ctx, goneAgents(ctx)), (region) => subgridsNotReached(ctx, region)) };
    const agentRestarts = agentRestartsAtOnce(ctx.grid, hostsRestartedTogether(ctx), ctx.removing);
    if (agentRestarts) ctx.plan = { ...ctx.plan, agentRestarts };
    const swap = swapPastMemoryCap(ctx.planned, ctx.removing);
    if (swap) ctx.plan = { ...ctx.plan, swapPastMemoryCap: swap };
    // Only a run that places the key has one to compare (reset, `--playbook qos` do not).
    const key = ctx.secrets.gridKey;
    const gridKeyChange = key && gridKeyChangeSinceApply(await ctx.recordedState(), key);
    if (gridKeyChange) ctx.plan = { ...ctx.plan, gridKeyChange };
    ctx.say('planned');
  },
};
