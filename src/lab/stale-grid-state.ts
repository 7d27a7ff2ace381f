import type { SubgridPlan } from './types.js';

/**
 * Whether the grid state an apply recorded beside the lab's topology (`.gridops/*.state.json`)
 * stops describing the machines once `up` rebuilds `rebuilding` (a rebuilt node has an empty disk
 * and a new host key: no agent). It does when a sub-grid loses every node that had been up: the
 * state would still say they run agents, so the next plan would elect no bootstrap electorate and
 * the sub-grid's overlay would never form (what `down` removes the state for). A sub-grid that
 * keeps a running node keeps live agents, which the rebuilt nodes join.
 */
export function gridStateStale(subgrids: readonly SubgridPlan[], previouslyUp: ReadonlySet<string>, rebuilding: ReadonlySet<string>): boolean {
  return subgrids.some((s) => s.nodes.every((n) => rebuilding.has(n)) && s.nodes.some((n) => previouslyUp.has(n)));
}
