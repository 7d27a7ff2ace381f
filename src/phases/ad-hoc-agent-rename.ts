import { PlanningError } from '../errors/index.js';
import type { LoadedPlaybook } from '../playbooks/load.js';
import { nodesWithAgent } from '../state/nodes-with-agent.js';
import type { GridState } from '../state/state.js';
import { isAgentPlaybook } from '../topology/agent-playbook.js';
import { allNodes, type Node } from '../topology/model.js';
import { sh } from '../transport/quote.js';
import type { Phase } from './phase.js';
import { sameAddressRenames } from './renamed-node.js';
import { runFlags } from './run-flags.js';

/** Where gridagent reads its node name: a playbook that writes it deploys the agent as surely as the built-in one. */
const AGENT_CONFIG_FILE = '/etc/gridagent/config.yaml';

function deploysAgent(playbook: LoadedPlaybook): boolean {
  return isAgentPlaybook(playbook) || playbook.resources.some((r) => 'file' in r && r.file.path === AGENT_CONFIG_FILE);
}

/**
 * The same-address renames (old name to new) that an ad-hoc run would apply to the overlay: the
 * old name ran the agent, and the run deploys the agent on the new one (`byNode`: the run's
 * playbooks of each node it selected). Its config would then name the new name and its restart
 * start a new member, with the old name never leaving.
 */
export function adHocAgentRenames(nodes: readonly Node[], byNode: ReadonlyMap<string, readonly LoadedPlaybook[]>, state: GridState): { from: string; to: string }[] {
  const ranAgent = nodesWithAgent(state);
  return [...sameAddressRenames(nodes, state)].filter(([from, to]) => ranAgent.has(from) && byNode.get(to)?.some(deploysAgent)).map(([from, to]) => ({ from, to }));
}

/**
 * Refuses a `--playbook` run that would deploy the agent on a node renamed at the same address,
 * before any connection. Refused rather than handed the leave the grid's workflow gives it
 * (renamed-agent.ts): an ad-hoc run applies what it names and finds no renames, so it would also
 * have to forget the old record, count the rename in the site, rolling and grid-key checks, and
 * run a playbook it did not name; the plain apply already does all of that. Without either, the
 * old name stays a voter for good, and the next plain apply cannot repair it: the agent that
 * could leave under the old name no longer runs (gridagent leave asks the running agent, now the
 * new name), and agent-rename's guard skips a config that names the new name.
 */
export const refuseAdHocAgentRename: Phase = {
  title: 'check that no --playbook run renames an agent',
  shouldRun: (ctx) => ctx.workflow.adHoc,
  async run(ctx) {
    // The whole topology: a name still in it is not renamed, whether this run (--limit) selected it or not; byNode holds the run's nodes.
    const renames = adHocAgentRenames(allNodes(ctx.grid), ctx.workflow.byNode, await ctx.recordedState());
    if (renames.length === 0) return;
    const one = renames.length === 1;
    const [first] = renames;
    throw new PlanningError(
      `${renames.map((r) => `${r.from} is renamed ${r.to}`).join(', ')}, and a --playbook run that deploys the agent would start ${one ? `it as ${first!.to}` : 'them under their new names'} without ${one ? first!.from : 'the old names'} leaving the grid (${one ? `${first!.from} would stay a voter` : 'they would stay voters'} for good); nothing was changed`,
      `run a plain \`${sh(['gridops', 'apply', ctx.options.topologyFile, ...runFlags(ctx.options)])}\` (the grid's workflow) to rename ${one ? 'it' : 'them'}: ${one ? `its agent leaves the grid as ${first!.from} first, then starts as ${first!.to}` : 'each agent leaves the grid under its old name first, then starts under its new one'}; or leave ${renames.map((r) => r.to).join(', ')} out of this run with --limit`,
    );
  },
};
