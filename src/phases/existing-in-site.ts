import type { PlannedHost } from '../engine/planner.js';
import type { GridState } from '../state/state.js';
import { recordOf } from './renamed-node.js';

/**
 * The nodes of `--site` that are already part of the grid, not new: `--site REGION` may name a
 * region whose sub-grids run already beside the new one. A node is existing when the state
 * records a successful apply of it (under its own name, or its old one when it was renamed), or
 * when its facts show an agent that no record of gridops accounts for (the state lost, or the node
 * set up from another state directory). A node the state records only from failed runs is a
 * bootstrap not finished: still new, so that a second `--site` run can finish it.
 */
export function existingInSite(site: ReadonlySet<string>, state: GridState, planned: readonly PlannedHost[], renamed: ReadonlyMap<string, string>): Set<string> {
  const agentRuns = new Set(planned.filter((p) => p.session.facts.agentVersion !== null).map((p) => p.session.node.name));
  return new Set(
    [...site].filter((name) => {
      const record = recordOf(state, name, renamed);
      return record !== undefined ? record.appliedAt !== '' : agentRuns.has(name);
    }),
  );
}
