import { PlanningError } from '../errors/index.js';
import { namedFew } from '../named-few.js';
import { removeCreatedGridKey } from '../secrets/grid-key.js';
import { allNodes } from '../topology/model.js';
import type { GridKeyChange } from '../plan/plan.js';
import { hostsReplacingGridKey } from './grid-key-replaced.js';
import { namedKeyFile } from './load-secrets.js';
import type { Phase } from './phase.js';
import type { RunContext } from './run-context.js';

/**
 * A grid has one key: an agent drops every packet signed with another (badMac). So a run that
 * changes the key, replacing it on a node that has one or creating it anew while agents run with
 * an earlier one, must give it to every node of the grid in the same run. One that leaves a node
 * out (--limit, a --site run widened to existing hosts, a node not reached or not planned) would
 * cut that node off, or split a sub-grid into two leaders, one per key; it is refused before any
 * change. Every node of the topology counts: each runs the agent (the grid's workflow ends with
 * it), and a node not reached cannot be known to have none. A key that differs from the one the
 * last apply deployed (the state keeps its fingerprint) is a change too, where no host of the run
 * holds the old key file: a key made by an earlier `plan`, then `apply --limit` of a new node
 * (grid-key-since-apply.ts). A host that fails once the plain apply has started cannot be foreseen:
 * apply-outcome.ts names those left on the old key.
 */
export const checkGridKeyWholeGrid: Phase = {
  title: 'check that a new grid key reaches every agent of the grid',
  async run(ctx) {
    const replacing = hostsReplacingGridKey(ctx.plan);
    const created = ctx.createdGridKey;
    const sinceApply = ctx.plan.gridKeyChange;
    if (!replacing.length && !created && !sinceApply) return;
    const leftOut = nodesLeftOut(ctx);
    if (!leftOut.notSelected.length && !leftOut.unreachable.length && !leftOut.notPlanned.length) return;
    const change = changeSaid(ctx, replacing, created, sinceApply);
    const groups = [
      ...(leftOut.notSelected.length ? [`${namedFew(leftOut.notSelected)} (not selected by --limit)`] : []),
      ...(leftOut.unreachable.length ? [`${namedFew(leftOut.unreachable)} (unreachable)`] : []),
      ...(leftOut.notPlanned.length ? [`${namedFew(leftOut.notPlanned)} (not planned, above)`] : []),
    ];
    const count = leftOut.notSelected.length + leftOut.unreachable.length + leftOut.notPlanned.length;
    // Kept, the created key would be the next run's, which could no longer tell that the key is new.
    const removed = created && (await removeCreatedGridKey(created)) ? ', and the new key file was removed again' : '';
    throw new PlanningError(
      `${change}, but leaves out ${groups.join(', and ')}: ${count === 1 ? 'its agent' : 'their agents'} would keep the old key and drop every packet of the nodes on the new one (badMac), cut off from them; nothing was changed${removed}`,
      hint(leftOut.unreachable),
    );
  },
};

/** What changes the key, in one clause; with the fingerprints when the state recorded the key the last apply deployed. */
function changeSaid(ctx: RunContext, replacing: readonly string[], created: RunContext['createdGridKey'], sinceApply: GridKeyChange | undefined): string {
  const fingerprints = sinceApply ? `fingerprint ${sinceApply.deployed} → ${sinceApply.current}` : '';
  if (replacing.length) return `this run would replace the grid key on ${namedFew(replacing)}${sinceApply ? ` (it differs from the one the last apply deployed: ${fingerprints})` : ''}`;
  if (created) return `this run created a new grid key ${created.file} while nodes of the grid run gridagent with an earlier one${sinceApply ? ` (${fingerprints})` : ''}`;
  return `the grid key ${namedKeyFile(ctx) ?? ctx.paths.gridKey} differs from the one the last apply deployed (${fingerprints}), and this run would give it to the nodes it applies`;
}

/** The nodes of the topology whose key this run would not set: not in the run, not reached, or not planned. */
function nodesLeftOut(ctx: RunContext): { notSelected: string[]; unreachable: string[]; notPlanned: string[] } {
  const planned = new Map(ctx.plan.hosts.map((h) => [h.host, h]));
  const names = allNodes(ctx.grid).map((n) => n.name);
  return {
    // Only --limit plans fewer than the topology's nodes (--site plans them all).
    notSelected: names.filter((name) => !planned.has(name)),
    unreachable: names.filter((name) => planned.get(name)?.error?.kind === 'unreachable'),
    notPlanned: names.filter((name) => planned.get(name)?.error?.kind === 'planning'),
  };
}

function hint(unreachable: readonly string[]): string {
  const bringBack = unreachable.length ? `bring ${namedFew(unreachable)} back first (a node gone for good: remove it from the topology), then ` : '';
  return `${bringBack}run a plain \`gridops apply\` of the whole grid, without --limit, --site or --rolling: every agent then restarts at once on the new key; if the key was not meant to change, restore the old key file, or point agent.keyFile at it`;
}
