import { recordRanAgent } from '../state/nodes-with-agent.js';
import type { HostState } from '../state/state.js';

/**
 * The agent status expects on a node: where the state says the node ran gridagent (the one rule,
 * state/nodes-with-agent.ts), with the version it recorded after the last run (null in states
 * written before that was recorded after a deploy: any running version then matches). A node
 * never applied, or only ever run with other playbooks, expects none: `--strict` already fails
 * it as not applied with this topology, and `--wait` leaves a sub-grid not deployed yet alone.
 */
export function expectedAgent(record: HostState | undefined): { agentExpected: { recordedVersion: string | null } } | Record<string, never> {
  return record && recordRanAgent(record) ? { agentExpected: { recordedVersion: record.agentVersion } } : {};
}
