import type { GridState } from './state.js';

/**
 * Nodes that already run an agent, as the state recorded them (last applied with the `agent`
 * playbook, or seen with one): a node added to their sub-grid signs in rather than bootstrapping
 * (templateContext's bootstrap electorate).
 */
export function nodesWithAgent(state: GridState): Set<string> {
  return new Set(Object.entries(state.hosts).filter(([, host]) => host.agentVersion !== null || (host.playbooks.includes('agent') && host.appliedAt !== '')).map(([name]) => name));
}
