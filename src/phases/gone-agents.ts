import { AGENT_RENAME_PLAYBOOK } from './renamed-agent.js';
import type { RunContext } from './run-context.js';

/**
 * The nodes whose agent this run removed, which the overlay checks (verify, the rolling gate) count
 * as no super peer whoever still names them (overlay/convergence.ts): the nodes decommissioned,
 * and the old names of renamed nodes whose agent this run makes leave, i.e. whose new name's
 * workflow runs the agent-rename playbook (renamed-agent.ts). A renamed node that a `--limit` or
 * `--site` run does not select keeps its agent under the old name, a super peer as much as before.
 */
export function goneAgents(ctx: Pick<RunContext, 'removing' | 'renamed' | 'workflow'>): Set<string> {
  const leaving = [...ctx.renamed].filter(([, to]) => ctx.workflow.byNode.get(to)?.some((p) => p.ref === AGENT_RENAME_PLAYBOOK)).map(([from]) => from);
  return new Set([...ctx.removing, ...leaving]);
}
