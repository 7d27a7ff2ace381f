import { dirname } from 'node:path';
import { PlanningError } from '../errors/index.js';
import { hasSensitiveFiles, needsGridKey, type Secrets } from '../playbooks/instantiate.js';
import { plural } from '../plural.js';
import { loadOrCreateGridKey } from '../secrets/grid-key.js';
import { loadOrCreatePlanDigestKey, PROCESS_PLAN_DIGEST_KEY } from '../secrets/plan-digest.js';
import { ensureStateDir } from '../state/state.js';
import { nodesWithAgent } from '../state/nodes-with-agent.js';
import { allNodes } from '../topology/model.js';
import type { RunContext } from './run-context.js';

/**
 * The grid key, when a playbook of the run places it: the topology's `agent.keyFile`, else one
 * kept beside the state; created (mode 0600) the first time. Every node of a grid shares it.
 * With it, or for any file a playbook marks `sensitive`, the key plans digest such content with
 * (secrets/plan-digest.ts), kept beside the state.
 */
export async function loadSecrets(ctx: RunContext): Promise<Secrets> {
  const playbooks = [...new Set([...ctx.workflow.byNode.values()].flat())];
  if (!needsGridKey(playbooks)) return hasSensitiveFiles(playbooks) ? { planDigestKey: await planDigestKey(ctx) } : {};
  // Resolved against the topology file (topology/resolve.ts): `keys/grid.key` and `./keys/grid.key` are one file.
  // Every node of the topology, not only the run's (--limit, --site): a node that names no key file
  // shares the one another node names, in every run alike. Nodes being decommissioned are not in
  // the topology: the reset playbook places no key, and their recorded settings may name a key
  // file the grid no longer uses (moved, rotated, back to the default).
  const named = namedKeyFile(ctx);
  const file = named ?? ctx.paths.gridKey;
  if (!named) await ensureStateDir(dirname(file));
  const key = await loadOrCreateGridKey(file);
  if (key.created) {
    const running = [...nodesWithAgent(await ctx.recordedState())];
    // A grid whose agents run with a key they got earlier: a new one is a rotation, which restarts
    // every agent with it; said loudly, since a moved or lost key file looks the same from here.
    if (running.length) {
      ctx.createdGridKey = { file, bytes: key.bytes };
      ctx.warn(newGridKeyWarning(file, running.length));
    } else {
      // Said once the hosts are read (state-not-found.ts): their facts may show agents the state has no record of.
      ctx.madeGridKey = { file, bytes: key.bytes };
    }
  }
  return { gridKey: key.bytes, planDigestKey: await planDigestKey(ctx) };
}

/** What a run that made a grid key says when agents run with an earlier one: applying it is a rotation. */
export function newGridKeyWarning(file: string, running: number): string {
  return `created a NEW grid key ${file} (mode 0600), but ${plural(running, 'node')} of this grid already ${running === 1 ? 'runs' : 'run'} gridagent with the key they got before: applying replaces it on every node and restarts every agent at once (an apply of part of the grid is refused). If the old key file moved, stop here and point agent.keyFile at it (a relative path is relative to the topology file)`;
}

/** What a run that made the grid's first key says. */
export function firstGridKeyNote(file: string): string {
  return `created the grid key ${file} (mode 0600); keep it safe, every agent of the grid needs it`;
}

/**
 * The one agent.keyFile the topology's nodes name, if any; more than one is an error, which a run
 * checks before it connects (loadSecrets, which writes, waits for the first host reached).
 */
export function namedKeyFile(ctx: RunContext): string | undefined {
  const named = [...new Set(allNodes(ctx.grid).map((n) => n.settings.agent.keyFile).filter((f): f is string => f !== undefined))];
  if (named.length > 1) throw new PlanningError(`the nodes name ${named.length} different agent.keyFile values: ${named.join(', ')}`, 'a grid has one key: set agent.keyFile once, under defaults');
  return named[0];
}

/**
 * The key plans digest the grid key with, kept in the state directory. A plan run where that
 * directory cannot be written (a read-only checkout or --state-dir) still plans: its digest then
 * uses this process's own key, so a plan it saves is refused as stale by apply, never wrongly applied.
 */
async function planDigestKey(ctx: RunContext): Promise<Buffer> {
  try {
    await ensureStateDir(dirname(ctx.paths.planDigestKey));
    return await loadOrCreatePlanDigestKey(ctx.paths.planDigestKey);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EROFS' && code !== 'EACCES' && code !== 'EPERM') throw err;
    ctx.warn(`cannot write the plan digest key ${ctx.paths.planDigestKey} (${code}): a plan this run saves (--out) cannot be applied; run where the state directory is writable`);
    return PROCESS_PLAN_DIGEST_KEY;
  }
}

