import { recordRanAgent } from '../state/nodes-with-agent.js';
import type { GridState } from '../state/state.js';
import { recordOf } from './renamed-node.js';

/**
 * Whether the state says a node of the topology ran gridagent (state/nodes-with-agent.ts), under
 * its name or one it had before a rename this run applies. Any other node (planned but never built,
 * or its first apply failed before its agent) is not down when it cannot be reached, only not there
 * yet: a rolling apply's budgets count it nowhere (rollout-sizes, down-outside-run).
 */
export function ranAgent(state: GridState, name: string, renamed: ReadonlyMap<string, string>): boolean {
  const record = recordOf(state, name, renamed);
  return record !== undefined && recordRanAgent(record);
}
