import { isAgentPlaybook } from '../playbooks/agent-playbook.js';
import type { GridState } from '../state/state.js';
import { recordOf } from './renamed-node.js';

/**
 * Whether the state says a node of the topology ran gridagent, under its name or one it had before
 * a rename this run applies: last applied with the agent playbook, or recorded with an agent's
 * version (an ad-hoc run of another playbook keeps that). Any other node (planned but never built,
 * or its first apply failed before its agent) is not down when it cannot be reached, only not there
 * yet: a rolling apply's budgets count it nowhere (rollout-sizes, down-outside-run).
 */
export function ranAgent(state: GridState, name: string, renamed: ReadonlyMap<string, string>): boolean {
  const record = recordOf(state, name, renamed);
  return record !== undefined && (record.agentVersion !== null || record.playbooks.some((ref) => isAgentPlaybook({ ref })));
}
