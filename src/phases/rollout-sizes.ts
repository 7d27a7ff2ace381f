import { DEFAULT_MIRRORS } from '../agent/mirrors.js';
import type { RolloutSizes, SubgridVoters } from '../overlay/rolling-batches.js';
import { allNodes, type Node } from '../topology/model.js';
import type { GridState } from '../state/state.js';
import { ranAgent } from './ran-agent.js';
import type { RunContext } from './run-context.js';
import { subgridKey } from '../topology/subgrid-key.js';

/** Nodes that may vote in their sub-grid: a node with `superPeer: never` is never a voter. */
export const mayVote = (node: Node): boolean => node.superPeer !== 'never';

/** What rolloutSizes needs of the run: the topology, the nodes it could not reach, its renames (for the state's records). */
type SizesContext = Pick<RunContext, 'grid' | 'unreachable' | 'renamed'>;

/**
 * What a rolling apply's budgets count: the topology's nodes, overall and per sub-grid (not just
 * the changed or `--limit`ed ones), and per sub-grid the nodes of this run that are down before it
 * starts: unreachable, and ran the agent as `state` (the run's recordedState) says (nodesDown).
 * (An agent that is reached but not joined stops the run before its first batch anyway: the
 * overlay must have converged.) A node being decommissioned is not counted. And per sub-grid the
 * voters the topology implies (expectedVoters), for a sub-grid no reached agent lists the voters of.
 */
export function rolloutSizes(ctx: SizesContext, state: GridState): Required<RolloutSizes> {
  const count = (list: readonly { region: string; subgrid: string }[]) => {
    const counts = new Map<string, number>();
    for (const n of list) counts.set(subgridKey(n), (counts.get(subgridKey(n)) ?? 0) + 1);
    return counts;
  };
  const nodes = allNodes(ctx.grid);
  const down = nodesDown(ctx, state);
  return { grid: nodes.length, subgrids: count(nodes), down: count(down), downNodes: new Set(down.map((n) => n.name)), voters: expectedVoters(ctx, down) };
}

/**
 * Per sub-grid, the voters the topology implies: its nodes that may vote, at most a super peer and
 * DEFAULT_MIRRORS mirrors (gridops writes no `mirrors` into the agent's config; autopilot fills
 * the voter set from them); and, since which of them vote cannot be told without the agents,
 * every such node down (`down`: nodesDown) counts as a voter down.
 */
export function expectedVoters(ctx: Pick<RunContext, 'grid'>, down: readonly Node[]): Map<string, SubgridVoters> {
  const isDown = new Set(down.map((n) => n.name));
  const voters = new Map<string, SubgridVoters>();
  for (const n of allNodes(ctx.grid)) {
    const sg = voters.get(subgridKey(n)) ?? { count: 0, down: 0 };
    if (mayVote(n)) voters.set(subgridKey(n), { count: sg.count + 1, down: sg.down + (isDown.has(n.name) ? 1 : 0) });
    else voters.set(subgridKey(n), sg);
  }
  for (const [key, v] of voters) voters.set(key, { count: Math.min(v.count, 1 + DEFAULT_MIRRORS), down: Math.min(v.down, 1 + DEFAULT_MIRRORS) });
  return voters;
}

/**
 * Per sub-grid, expectedVoters' count, and the fewest of its nodes down that must be voters:
 * where more nodes may vote than vote (a super peer and DEFAULT_MIRRORS mirrors), the nodes down
 * may all be among the ones that do not, and autopilot drops a voter that stays down, so only
 * those down beyond the non-voting places are surely voters (the pigeonhole bound). Before the
 * agents are asked this is all that can be told; once they name the voters, check-named-voters
 * judges the real ones.
 */
export function fewestVotersDown(ctx: Pick<RunContext, 'grid'>, down: readonly Node[]): Map<string, SubgridVoters> {
  const mayVoteIn = new Map<string, number>();
  for (const n of allNodes(ctx.grid)) if (mayVote(n)) mayVoteIn.set(subgridKey(n), (mayVoteIn.get(subgridKey(n)) ?? 0) + 1);
  const downMayVote = new Map<string, number>();
  for (const n of down) if (mayVote(n)) downMayVote.set(subgridKey(n), (downMayVote.get(subgridKey(n)) ?? 0) + 1);
  const fewest = new Map<string, SubgridVoters>();
  for (const [key, v] of expectedVoters(ctx, down)) {
    const notVoting = (mayVoteIn.get(key) ?? 0) - v.count;
    fewest.set(key, { count: v.count, down: Math.max(0, (downMayVote.get(key) ?? 0) - notVoting) });
  }
  return fewest;
}

/**
 * The topology's nodes of this run that could not be reached (not a dropped node being
 * decommissioned) and that ran the agent, as the state says (ran-agent). A node planned but never
 * built, or whose first apply failed before its agent, is not down, only not there yet, as
 * down-outside-run judges a node outside the run: counted, it refused a rolling run of the nodes
 * that do run ("bring n3 back (reachable, agent running)", a node that never had one).
 */
export function nodesDown(ctx: SizesContext, state: GridState): Node[] {
  const inTopology = new Set(allNodes(ctx.grid).map((n) => n.name));
  return ctx.unreachable.map((u) => u.node).filter((n) => inTopology.has(n.name) && ranAgent(state, n.name, ctx.renamed));
}
