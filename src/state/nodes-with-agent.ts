import { isAgentPlaybook } from '../topology/agent-playbook.js';
import type { GridState, HostState } from './state.js';

/**
 * Whether a state record says its host ran gridagent: recorded with an agent's version (an ad-hoc
 * run of another playbook keeps that), or last applied successfully with the agent playbook, by
 * name or by the built-in file. A host whose first apply failed before its agent is not counted:
 * it is not there yet, not down. Every reader of the state asks this one rule (the rolling budgets,
 * the renamed and moved nodes, the grid key, the elections).
 */
export function recordRanAgent(record: Pick<HostState, 'agentVersion' | 'playbooks' | 'appliedAt'>): boolean {
  return record.agentVersion !== null || (record.appliedAt !== '' && record.playbooks.some((ref) => isAgentPlaybook({ ref })));
}

/**
 * Nodes that already run an agent, as the state recorded them (recordRanAgent). Not by itself
 * evidence that their sub-grid elected: a first apply may have reached one node of it only
 * (state/group-births.ts).
 */
export function nodesWithAgent(state: GridState): Set<string> {
  return new Set(Object.entries(state.hosts).filter(([, host]) => recordRanAgent(host)).map(([name]) => name));
}
