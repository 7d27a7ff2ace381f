import type { Plan } from '../plan/plan.js';

/**
 * The hosts whose grid key the plan replaces: a new key's content on a node that holds one. A node
 * placed its first key, or a key file whose mode alone is repaired, keeps talking to the rest; a
 * node given another key does not (every packet between the two keys is dropped as badMac).
 */
export function hostsReplacingGridKey(plan: Plan): string[] {
  return plan.hosts.filter((h) => h.changes.some((c) => c.kind === 'file' && c.secret === 'grid-key' && c.action === 'update' && c.fields.some((f) => f.name === 'content'))).map((h) => h.host);
}
