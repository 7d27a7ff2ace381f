import type { GridKeyChange } from '../plan/plan.js';
import { gridKeyFingerprint } from '../secrets/grid-key-fingerprint.js';
import { nodesWithAgent } from '../state/nodes-with-agent.js';
import type { GridState } from '../state/state.js';

/**
 * Whether the run's grid key differs from the one the last apply gave every running agent, while
 * agents run with that one: a change of key for the whole grid, even where no planned host holds the
 * old key file (a key made by an earlier `plan`, or an apply answered no, then `apply --limit` of a
 * new node; `agent.keyFile` pointed at another existing file). Undefined when the state recorded no
 * fingerprint (written before it was kept: unknown), the key is the same, or no agent runs any
 * more. One hash of a short file per run.
 */
export function gridKeyChangeSinceApply(state: GridState, key: Buffer): GridKeyChange | undefined {
  const deployed = state.gridKeyFingerprint;
  if (typeof deployed !== 'string') return undefined;
  const current = gridKeyFingerprint(key);
  if (current === deployed || !nodesWithAgent(state).size) return undefined;
  return { deployed, current };
}
