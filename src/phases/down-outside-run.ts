import type { PeersNow } from '../overlay/super-peers-now.js';
import { outsideNodesDown, type VoterDown } from '../overlay/voters-down.js';
import { allNodes } from '../topology/model.js';
import { subgridKey } from '../topology/subgrid-key.js';
import type { RunContext } from './run-context.js';

/**
 * Per sub-grid, the topology's nodes outside this run (`--limit`, `--site`: never connected) that
 * the reached registry hears down. A full run would find them unreachable and count them against
 * their sub-grid's maxUnavailable (rollout-sizes); without this, a `--limit` run took that budget
 * again, and a node down outside the run that autopilot had already dropped from the voters
 * counted nowhere at all. Sub-grids with none are left out.
 */
export function downOutsideRun(ctx: Pick<RunContext, 'grid' | 'planned' | 'unreachable'>, peers: PeersNow): Map<string, VoterDown[]> {
  const inRun = new Set([...ctx.planned.map((p) => p.session.node.name), ...ctx.unreachable.map((u) => u.node.name)]);
  const outside = new Map<string, string[]>();
  for (const node of allNodes(ctx.grid)) if (!inRun.has(node.name)) outside.set(subgridKey(node), [...(outside.get(subgridKey(node)) ?? []), node.name]);
  const down = new Map<string, VoterDown[]>();
  for (const [subgrid, names] of outside) {
    const heardDown = outsideNodesDown(subgrid, names, peers);
    if (heardDown.length) down.set(subgrid, heardDown);
  }
  return down;
}
