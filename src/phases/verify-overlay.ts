import { plural } from '../plural.js';
import { pollOverlay } from '../overlay/poll.js';
import { installedAgentVersions } from './agent-deployed.js';
import { unchangedOutcomes } from './apply-in-batches.js';
import { agentSessions } from './agent-sessions.js';
import { goneAgents } from './gone-agents.js';
import type { Phase } from './phase.js';
import { recordOverlay } from './record-overlay.js';
import type { RunContext } from './run-context.js';
import { unbornGroupsOfRun } from './unborn-groups-of-run.js';
import { ofTheSite, unreachableOutsideSite } from './unreachable-outside-site.js';
import { knownAgentNodes } from './known-agent-nodes.js';

/**
 * Verify only a grid that was fully applied: a half-applied grid is reported as that, not as an
 * overlay problem. A node to decommission that was not reached is not part of the grid any more:
 * the topology's nodes were all applied, and their overlay is verified. Nor is an existing host
 * that a `--site` run could not reach: the run was not to touch it, and the agents that answer
 * (the site's, and the other existing ones) are verified without it.
 */
function fullyApplied(ctx: RunContext): boolean {
  const outsideSite = unreachableOutsideSite(ctx);
  return !ctx.stopped && !ctx.interrupted && ctx.unreachable.every((u) => ctx.recordedOnly.has(u.node.name) || outsideSite.has(u.node.name)) && !ctx.outcomes.some((o) => o.status === 'failed' || o.status === 'skipped');
}

/**
 * DESIGN step 7: ask every agent, over the run's open connections, until every sub-grid follows
 * one super peer and every region's super peers name one region peer (the one definition,
 * overlay/convergence), and every agent runs the version installed on its host, up to
 * `rollout.healthTimeout`. A rolling apply's last gate already did,
 * unless a batch without a gate ran after it (decommissions; apply-in-batches then forgets what it saw).
 */
export const verifyOverlay: Phase = {
  title: 'verify the overlay',
  shouldRun: (ctx) => ctx.options.verify !== false && ctx.overlay === undefined && fullyApplied(ctx) && agentSessions(ctx).length > 0,
  async run(ctx) {
    const agents = agentSessions(ctx);
    const notAsked = [...unreachableOutsideSite(ctx)];
    const ofSite = ofTheSite(ctx, notAsked);
    const named = notAsked.map((n) => (ofSite.has(n) ? `${n} (of the site, not new)` : n)).join(', ');
    const where = ofSite.size === notAsked.length ? 'existing' : ofSite.size ? 'existing or outside the new site' : 'outside the new site';
    ctx.say(`verifying the overlay: asking ${plural(agents.length, 'agent')} until every sub-grid has one super peer (up to ${Math.round(ctx.grid.rollout.healthTimeoutMs / 1000)} s, rollout.healthTimeout)${notAsked.length ? `; not ${named}, ${where} and not reached` : ''}`);
    // A super peer this run removed is no answer, though its members name it until they notice (convergence.ts).
    const gone = goneAgents(ctx);
    // A first election waiting for voters outside the run cannot happen however long verify waits: said (unless a rolling apply's start did), and not judged.
    const unborn = await unbornGroupsOfRun(ctx);
    // Every agent must run the version installed on its host, not an old process that kept going.
    // No outcomes yet: the apply phase had nothing to do, and every host is unchanged.
    const outcomes = ctx.outcomes.length ? ctx.outcomes : unchangedOutcomes(ctx);
    const expected = installedAgentVersions(ctx.planned, (host) => outcomes.find((o) => o.host === host));
    const check = await pollOverlay(agents, { concurrency: ctx.options.concurrency, deadline: Date.now() + ctx.grid.rollout.healthTimeoutMs, signal: ctx.options.signal, gone, unborn, topology: knownAgentNodes(ctx, await ctx.recordedState()), expected });
    // Ctrl-C ends the poll early (as at the rolling gate): what it last saw, its questions cut off, says nothing of the overlay's health, and is not recorded.
    if (!ctx.interrupted) recordOverlay(ctx, check, agents.length);
  },
};
