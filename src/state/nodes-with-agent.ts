import type { GridState } from './state.js';

/**
 * Nodes that already run an agent, as the state recorded them (last applied with the `agent`
 * playbook, or seen with one). Not by itself evidence that their sub-grid elected: a first apply
 * may have reached one node of it only (state/group-births.ts).
 */
export function nodesWithAgent(state: GridState): Set<string> {
  return new Set(Object.entries(state.hosts).filter(([, host]) => host.agentVersion !== null || (host.playbooks.includes('agent') && host.appliedAt !== '')).map(([name]) => name));
}
