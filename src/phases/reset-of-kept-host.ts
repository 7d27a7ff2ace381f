import { PlanningError } from '../errors/index.js';
import type { HostState } from '../state/state.js';
import type { Node } from '../topology/model.js';
import { forgetCommand } from './decommission-not-reached.js';
import type { RunOptions } from './run-options.js';
import { sameHostByResolution, type ResolveHost } from './renamed-node.js';

/**
 * The last check before a dropped node is planned for decommission: its reset must not reach a
 * host the topology still has under another name. Renames are found before (renamed-node.ts), but
 * only among the names that could be a rename's new one; a node with a record of its own that
 * applied is not one, and yet its host may be the dropped node's (a rename that a run could not
 * tell, since a name did not resolve then, so both names were applied). Every node of the topology
 * is compared here, by the same rule (address after resolution, port, jump host): one that matches
 * stops the run before anything changed, since the reset would undo what that node runs. A name
 * that does not resolve cannot tell: `unknown`, and the node is left for a run that can.
 */
export async function checkResetOfKeptHost(
  nodes: readonly Node[],
  name: string,
  record: NonNullable<HostState['node']>,
  resolve: ResolveHost,
  options: Pick<RunOptions, 'topologyFile' | 'stateDir'>,
): Promise<{ unknown: string } | undefined> {
  const found = await sameHostByResolution(nodes, record, resolve);
  if (!found || 'unknown' in found) return found;
  const { node, shared } = found;
  throw new PlanningError(
    `refusing to decommission ${name} (${record.address}): it resolves to ${shared}, the address of ${node.name}, which the topology still has`,
    `if ${name} is ${node.name}'s host under its old name, ${forgetCommand(options, [name])} forgets it without contacting it; if the name points at the wrong host, fix its DNS and run again`,
  );
}
