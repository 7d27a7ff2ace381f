import { dirname } from 'node:path';
import { PlanningError } from '../errors/index.js';
import { needsGridKey, type Secrets } from '../playbooks/instantiate.js';
import { loadOrCreateGridKey } from '../secrets/grid-key.js';
import { loadOrCreatePlanDigestKey } from '../secrets/plan-digest.js';
import { ensureStateDir } from '../state/state.js';
import type { RunContext } from './run-context.js';

/**
 * The grid key, when a playbook of the run places it: the topology's `agent.keyFile`, else one
 * kept beside the state; created (mode 0600) the first time. Every node of a grid shares it.
 * With it, the key plans digest it with (secrets/plan-digest.ts), kept beside the state.
 */
export async function loadSecrets(ctx: RunContext): Promise<Secrets> {
  const playbooks = [...new Set([...ctx.workflow.byNode.values()].flat())];
  if (!needsGridKey(playbooks)) return {};
  // Resolved against the topology file (topology/resolve.ts): `keys/grid.key` and `./keys/grid.key` are one file.
  const named = [...new Set(ctx.nodes.map((n) => n.settings.agent.keyFile).filter((f): f is string => f !== undefined))];
  if (named.length > 1) throw new PlanningError(`the nodes name ${named.length} different agent.keyFile values: ${named.join(', ')}`, 'a grid has one key: set agent.keyFile once, under defaults');
  // The state directory holds the plan digest key, and the grid key unless the topology names one.
  await ensureStateDir(dirname(ctx.paths.planDigestKey));
  const file = named[0] ?? ctx.paths.gridKey;
  const key = await loadOrCreateGridKey(file);
  if (key.created) ctx.say(`created the grid key ${file} (mode 0600); keep it safe, every agent of the grid needs it`);
  return { gridKey: key.bytes, planDigestKey: await loadOrCreatePlanDigestKey(ctx.paths.planDigestKey) };
}

