import { subgridBudget, voterBudget } from '../overlay/rolling-batches.js';
import { allNodes, type Rollout } from '../topology/model.js';
import { hostHasWork } from '../plan/plan.js';
import { restartsAgent } from './agent-restarts-at-once.js';
import { onlyTheSite } from './agents-restart-in-batches.js';
import type { Phase } from './phase.js';
import { fewestVotersDown, mayVote, nodesDown, rolloutSizes } from './rollout-sizes.js';
import type { RunContext } from './run-context.js';
import { nodeBudgetRefusal, oneVoterWarning, twoVotersWarning, voterBudgetRefusal } from './voter-budget-messages.js';
import { subgridKey } from '../topology/subgrid-key.js';

/** rollout.maxUnavailable as the topology wrote it. */
export const shownMax = (m: Rollout['maxUnavailable']) => ('count' in m ? `${m.count}` : `${m.percent}%`);

/**
 * `apply --rolling` promises that no sub-grid is ever without a super peer. A node already down
 * (unreachable, and ran the agent as the state says: nodesDown; one never built is not there yet)
 * counts against its sub-grid's budget (rolling-batches' subgridBudget): where nothing is left
 * (a sub-grid of 3 with one node down and maxUnavailable 1: one restart more would leave one
 * voter of three, and CheckQuorum makes the super peer step down), the run is refused here,
 * before the question and any change. The same where the nodes down leave no voter free to
 * restart (voterBudget: 3 voters and one down, whatever maxUnavailable), counting as voters down
 * only the nodes down that must be voters (fewestVotersDown: of 8 that may vote, 5 vote, so 2 long
 * dead need not be), since this check reads no agent; the phase after it, still before the
 * question (ask-agents-before-rolling.ts), judges the voters the agents name. A sub-grid of one
 * node cannot keep that promise at all: its only agent must restart, and the run says so, naming
 * it; nor can a sub-grid of several nodes whose only voter that one is (the rest `superPeer:
 * never`), which is warned of as well. Nor can one of two voters: its super peer hears one of two,
 * no quorum, while the other restarts. Refusing every sub-grid of two would leave them no rolling apply, so the batches
 * restart each of those voters alone (rolling-batches) and the run warns, naming the sub-grid.
 */
export const checkRollingBudget: Phase = {
  title: 'check that a rolling apply keeps a super peer in every sub-grid',
  shouldRun: (ctx) => ctx.options.rolling === true,
  async run(ctx) {
    const state = await ctx.recordedState();
    const sizes = rolloutSizes(ctx, state);
    const { maxUnavailable } = ctx.grid.rollout;
    const changed = rollingHosts(ctx);
    const blocked = [...new Set(changed.map((p) => subgridKey(p.session.node)))].filter((sg) => subgridBudget(maxUnavailable, sizes.subgrids.get(sg) ?? 1, sizes.down.get(sg) ?? 0) === 0);
    if (blocked.length) {
      const down = (sg: string) => nodesDown(ctx, state).filter((n) => subgridKey(n) === sg).map((n) => ({ name: n.name, why: 'unreachable' as const }));
      throw nodeBudgetRefusal(blocked.map((sg) => ({ subgrid: sg, size: sizes.subgrids.get(sg)!, down: down(sg) })), shownMax(maxUnavailable));
    }
    // Only a node that may vote can cost its super peer the quorum; here only the voters surely down count (the agents are asked in the next phase).
    const surely = fewestVotersDown(ctx, nodesDown(ctx, state));
    const voterBlocked = [...new Set(changed.filter((p) => mayVote(p.session.node)).map((p) => subgridKey(p.session.node)))].filter((sg) => {
      const voters = surely.get(sg)!;
      return voters.count > 1 && voters.down > 0 && voterBudget(voters) === 0;
    });
    if (voterBlocked.length) {
      const down = (sg: string) => nodesDown(ctx, state).filter((n) => subgridKey(n) === sg && mayVote(n)).map((n) => n.name);
      throw voterBudgetRefusal(voterBlocked.map((sg) => ({ subgrid: sg, count: surely.get(sg)!.count, down: down(sg).map((name) => ({ name, why: 'unreachable' as const })), surelyVoters: surely.get(sg)!.down })));
    }
    for (const p of changed) {
      const sg = subgridKey(p.session.node);
      if (sizes.subgrids.get(sg) !== 1 || !restartsAgent(p)) continue;
      const name = p.session.node.name;
      ctx.warn(`${sg} has one node, ${name}: --rolling restarts its agent with no other node to hand the super peer role to, so ${sg} has no super peer until ${name} is back (a few seconds); give the sub-grid a second node to keep one throughout`);
    }
    // A sub-grid of several nodes but one voter (the rest `superPeer: never`) is as alone: its voter has no successor.
    const oneVoter = [...new Set(changed.filter((p) => mayVote(p.session.node) && restartsAgent(p)).map((p) => subgridKey(p.session.node)))].filter((sg) => sizes.voters.get(sg)?.count === 1 && sizes.subgrids.get(sg)! > 1);
    for (const sg of oneVoter) {
      const voter = allNodes(ctx.grid).find((n) => subgridKey(n) === sg && mayVote(n))!.name;
      ctx.warn(oneVoterWarning(sg, voter, 'its other nodes have superPeer: never'));
    }
    const twoVoters = [...new Set(changed.filter((p) => mayVote(p.session.node) && restartsAgent(p)).map((p) => subgridKey(p.session.node)))].filter((sg) => sizes.voters.get(sg)?.count === 2);
    for (const sg of twoVoters) {
      const [a, b] = allNodes(ctx.grid).filter((n) => subgridKey(n) === sg && mayVote(n)).map((n) => n.name);
      ctx.warn(twoVotersWarning(sg, a!, b!));
    }
  },
};

/** The hosts a rolling apply's batches will hold: with changes, not decommissioned (those go last, leaving), only the new site's with --site. */
export function rollingHosts(ctx: RunContext): RunContext['planned'] {
  return ctx.planned.filter((p) => hostHasWork(p.plan) && !ctx.removing.has(p.session.node.name) && (!onlyTheSite(ctx) || ctx.site!.has(p.session.node.name)));
}
