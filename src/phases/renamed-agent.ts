import { isAgentPlaybook } from '../topology/agent-playbook.js';
import { loadPlaybook, type LoadedPlaybook } from '../playbooks/load.js';
import { nodesWithAgent } from '../state/nodes-with-agent.js';
import type { GridState } from '../state/state.js';

/**
 * The playbook a renamed node runs first when its old name ran gridagent (playbooks/agent-rename.yaml):
 * the agent leaves for good under the old name and drops its state, so the agent playbook's restart
 * starts a fresh agent under the new name. A plain restart would keep the old name a voter for good.
 */
export const AGENT_RENAME_PLAYBOOK = 'agent-rename';

/**
 * Puts the agent's leave under its old name in front of a renamed node's workflow, when one of the
 * names it had ran the agent. Only in the run that applies the rename: once the host applied, the
 * old record is forgotten (record-state.ts). The playbook's own guard (the agent's config names the
 * new name) keeps a re-run after a failure later in the run from making the new agent leave.
 */
export function leaveUnderOldName(workflow: { byNode: Map<string, LoadedPlaybook[]>; refs: string[] }, state: GridState, renamed: ReadonlyMap<string, string>): void {
  const ranAgent = nodesWithAgent(state);
  const renamedAgentNodes = new Set([...renamed].filter(([from]) => ranAgent.has(from)).map(([, to]) => to));
  let playbook: LoadedPlaybook | undefined;
  for (const name of renamedAgentNodes) {
    const playbooks = workflow.byNode.get(name);
    // Not selected by this run (--limit, --site), or its workflow deploys no agent: nothing to hand over here.
    if (!playbooks?.some(isAgentPlaybook)) continue;
    playbook ??= loadPlaybook(AGENT_RENAME_PLAYBOOK);
    workflow.byNode.set(name, [playbook, ...playbooks]);
    if (!workflow.refs.includes(AGENT_RENAME_PLAYBOOK)) workflow.refs.unshift(AGENT_RENAME_PLAYBOOK);
  }
}
