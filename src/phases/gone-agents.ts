import { renamedAgentsGone } from './renamed-agents-gone.js';
import type { RunContext } from './run-context.js';

/**
 * The nodes whose agent this whole run removes, which verify (and the plan's first-election
 * caveat) count as no super peer whoever still names them (overlay/convergence.ts): the nodes
 * decommissioned, and the old names of renamed nodes whose agent the run makes leave
 * (renamedAgentsGone over every host the run applies). A renamed node that a `--limit` or `--site`
 * run does not select keeps its agent under the old name, a super peer as much as before. The
 * rolling gate asks renamedAgentsGone alone, over the batches done: the nodes decommissioned leave
 * after its last gate.
 */
export function goneAgents(ctx: Pick<RunContext, 'removing' | 'renamed' | 'planned'>): Set<string> {
  return new Set([...ctx.removing, ...renamedAgentsGone(ctx, new Set(ctx.planned.map((p) => p.session.node.name)))]);
}
