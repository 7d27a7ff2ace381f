import { GRIDOPS_VERSION } from '../version.js';
import type { GridState } from './state.js';

/**
 * Whether the state says `host` was last applied with success from this topology (its source
 * hash), these playbooks and this gridops: an apply then expects to find it with nothing to
 * change, and reads it without a shell (engine/read-without-shell.ts) rather than holding a shell
 * for a batch it will likely not run. A guess for speed only: a host found changed all the same
 * runs its batch in a held shell of its own (engine/batch-session.ts).
 */
export function expectedInSync(state: GridState, host: string, sourceHash: string, playbooks: readonly string[]): boolean {
  const record = state.hosts[host];
  if (!record || (record.lastOutcome !== 'applied' && record.lastOutcome !== 'unchanged')) return false;
  // Handlers owed by a failed run (left by a run of other playbooks) are a batch to run.
  if (record.pendingHandlers?.length) return false;
  return record.topologyHash === sourceHash && record.gridopsVersion === GRIDOPS_VERSION && record.playbooks.length === playbooks.length && record.playbooks.every((p, i) => p === playbooks[i]);
}
