import { needsGridKey } from '../playbooks/instantiate.js';
import { gridKeyFingerprint } from '../secrets/grid-key-fingerprint.js';
import { nodesWithAgent } from '../state/nodes-with-agent.js';
import { allNodes } from '../topology/model.js';
import type { GridState } from '../state/state.js';
import type { RunContext } from './run-context.js';

/**
 * The fingerprint of the grid key the state records once this run's outcomes are merged into it
 * (`state`): the key every running agent holds, so that a later run can tell a key changed since.
 * This run's key once every node of the topology that runs an agent got it in this run (applied, or `unchanged`: its
 * plan compared the key file's content, with playbooks that place the key): the whole grid, or a
 * first `--limit` of a grid where no other agent runs. Else the one recorded stays: a node left out
 * (--limit, not reached, failed, skipped, `--playbook qos`) may hold it, and a run that would change
 * the key while leaving one out was refused before any change (check-grid-key-whole-grid.ts).
 * Undefined once no agent runs (all reset): the next agents may start on any key.
 */
export function gridKeyFingerprintToRecord(ctx: Pick<RunContext, 'secrets' | 'outcomes' | 'workflow' | 'grid'>, state: GridState): string | undefined {
  const agents = nodesWithAgent(state);
  if (!agents.size) return undefined;
  // Only the topology's nodes, as check-grid-key-whole-grid counts them: the record of a node
  // removed from it whose decommission did not reach it would keep the old fingerprint for good,
  // and with it every later plan's "Grid key: differs" and refusal, which no apply could clear.
  const inTopology = new Set(allNodes(ctx.grid).map((n) => n.name));
  const key = ctx.secrets.gridKey;
  if (!key) return state.gridKeyFingerprint;
  const given = new Set(ctx.outcomes.filter((o) => (o.status === 'applied' || o.status === 'unchanged') && needsGridKey(ctx.workflow.byNode.get(o.host) ?? [])).map((o) => o.host));
  return [...agents].filter((node) => inTopology.has(node)).every((node) => given.has(node)) ? gridKeyFingerprint(key) : state.gridKeyFingerprint;
}
