import { subgridBudget, voterBudget } from '../overlay/rolling-batches.js';
import { peersUnderTopologyNames } from '../overlay/peers-renamed.js';
import type { PeersNow } from '../overlay/super-peers-now.js';
import { votersDown, type VoterDown } from '../overlay/voters-down.js';
import { restartsAgent } from './agent-restarts-at-once.js';
import { rollingHosts, shownMax } from './check-rolling-budget.js';
import { mayVote, type rolloutSizes } from './rollout-sizes.js';
import type { RunContext } from './run-context.js';
import { nodeBudgetRefusal, oneVoterWarning, twoVotersWarning, voterBudgetRefusal } from './voter-budget-messages.js';
import { subgridKey } from '../topology/subgrid-key.js';

/**
 * check-rolling-budget judged the voters from the topology (every node that may vote, up to a super
 * peer and its mirrors); the batches use the voters each super peer names (`reported`, asked before
 * the first batch), which may be fewer. Where those, with voters down, leave a sub-grid with changes
 * no voter free to restart, every voter would restart alone and its super peer step down each time:
 * the run stops here, before any change, as the pre-check would have. A voter this run does not
 * reach (`--limit`) counts as down unless a reached super peer or mirror hears it alive (voters-down):
 * the gate before this asks only the run's agents, so without that a voter down outside the run
 * went unseen and a batch took the quorum's last spare voter. The same for the nodes budget: a node
 * outside the run that the reached registry hears down counts against its sub-grid's
 * maxUnavailable, as it would in a full run (unreachable), though it votes no more. Where they are
 * two (or one) and the topology implied otherwise, the pre-check's warning of two voters (or one) is said now.
 * The pre-check counted only the nodes down that must be voters; where no reached agent lists a
 * sub-grid's voters, every node down that may vote counts as one here, as the batches count them.
 * `sizes`: the run's rolloutSizes, which the batches then use too.
 */
export function checkNamedVoters(ctx: RunContext, reported: PeersNow, sizes: ReturnType<typeof rolloutSizes>, outside: ReadonlyMap<string, VoterDown[]> = new Map()): void {
  // A node this run renames is listed under its old name until its batch applies the rename: judged by its topology name.
  const peers = peersUnderTopologyNames(reported, ctx.renamed);
  const down = sizes.downNodes;
  // The run's nodes down, as rolloutSizes counted them (nodesDown: unreachable, and ran the agent).
  const unreachable = ctx.unreachable.map((u) => u.node).filter((n) => down.has(n.name));
  const implied = sizes.voters;
  const changed = rollingHosts(ctx);
  const votersChanged = (restarting: typeof changed) => [...new Set(restarting.filter((p) => peers.voters.get(subgridKey(p.session.node))?.includes(p.session.node.name)).map((p) => subgridKey(p.session.node)))];
  const blocked = votersChanged(changed)
    .map((subgrid) => {
      const names = peers.voters.get(subgrid)!;
      return { subgrid, count: names.length, down: votersDown(subgrid, peers, down), superPeer: names[0]! };
    })
    .filter((v) => v.count > 1 && v.down.length > 0 && voterBudget({ count: v.count, down: v.down.length }) === 0);
  // Where no reached agent lists a sub-grid's voters, the batches count every node down that may vote as a voter down (rollout-sizes' expectedVoters): judged alike here, as the pre-check counted only the surely voters.
  const unnamed = [...new Set(changed.filter((p) => mayVote(p.session.node)).map((p) => subgridKey(p.session.node)))]
    .filter((subgrid) => !peers.voters.has(subgrid))
    .map((subgrid) => ({ subgrid, count: implied.get(subgrid)?.count ?? 0, down: unreachable.filter((n) => subgridKey(n) === subgrid && mayVote(n)).map((n) => ({ name: n.name, why: 'unreachable' as const })) }))
    .filter((v) => v.count > 1 && v.down.length > 0 && voterBudget({ count: v.count, down: Math.min(v.down.length, v.count) }) === 0);
  if (blocked.length || unnamed.length) throw voterBudgetRefusal([...blocked, ...unnamed]);
  // The nodes budget, as check-rolling-budget's, with the nodes outside the run heard down (downOutsideRun) counted too.
  const nodesBlocked = [...new Set(changed.map((p) => subgridKey(p.session.node)))]
    .filter((subgrid) => outside.has(subgrid))
    .map((subgrid) => {
      const inSubgrid = unreachable.filter((n) => subgridKey(n) === subgrid).map((n) => ({ name: n.name, why: 'unreachable' as const }));
      return { subgrid, size: sizes.subgrids.get(subgrid) ?? 1, down: [...inSubgrid, ...outside.get(subgrid)!], superPeer: peers.voters.get(subgrid)?.[0] };
    })
    .filter((b) => subgridBudget(ctx.grid.rollout.maxUnavailable, b.size, b.down.length) === 0);
  if (nodesBlocked.length) throw nodeBudgetRefusal(nodesBlocked, shownMax(ctx.grid.rollout.maxUnavailable));
  for (const subgrid of votersChanged(changed.filter(restartsAgent))) {
    const names = peers.voters.get(subgrid)!;
    if (names.length === 2 && implied.get(subgrid)?.count !== 2) ctx.warn(twoVotersWarning(subgrid, names[0]!, names[1]!));
    if (names.length === 1 && implied.get(subgrid)?.count !== 1) ctx.warn(oneVoterWarning(subgrid, names[0]!, `the only voter ${names[0]} lists`));
  }
}
