import { loadPlaybook, type LoadedPlaybook } from '../playbooks/load.js';
import type { HostPlan } from '../plan/plan.js';
import type { GridState } from '../state/state.js';
import type { Node } from '../topology/model.js';
import type { Phase } from './phase.js';
import { recordOf } from './renamed-node.js';
import { madeOn, onNetwork } from './retired-hypervisor.js';

/** The playbook that stops the sandbox VM and removes the grid network it was on (playbooks/grid-network-rename.yaml). */
export const GRID_NETWORK_RENAME_PLAYBOOK = 'grid-network-rename';

/** The one change of that playbook; while it is pending the state keeps the old network (sandboxMadeRecord). */
export const GRID_NETWORK_RENAME_CHANGE = 'command remove-renamed-grid-network';

/** Why its change, and the new network's, wait for the operator's word, as a sandbox restart does. */
export function networkRenameReason(from: string, to: string): string {
  return `hypervisor.sandbox.network changed from ${from} to ${to}: the sandbox VM stops, network ${from} is removed, and the VM restarts on ${to}`;
}

/**
 * Every run whose workflow has the hypervisor playbook, the grid's own or `--playbook hypervisor`:
 * without the old network's removal, the hypervisor playbook alone could never start the new one
 * (its plan is refused: the range is routed to the old network's bridge). After `find nodes to
 * decommission`, which says which nodes were renamed.
 */
export const findRenamedGridNetworks: Phase = {
  title: 'find renamed grid networks',
  shouldRun: (ctx) => ctx.workflow.refs.includes('hypervisor'),
  async run(ctx) {
    const state = await ctx.recordedState();
    ctx.networkRenames = replaceRenamedNetwork(ctx.workflow, ctx.nodes, state, ctx.renamed);
    for (const [name, { from, to }] of ctx.networkRenames) ctx.say(`${name}: hypervisor.sandbox.network is now ${to}, not ${from}: network ${from} is removed and the sandbox VM restarts on ${to} (playbook grid-network-rename, with --replace-sandbox)`);
  },
};

/**
 * Terraform's replacement for a renamed grid network: every grid network has the same addresses,
 * so the new one cannot start beside the old (libvirt: "Network is already in use by interface"),
 * and the old one would stay defined and autostarted. A node whose hypervisor playbook runs and
 * whose sandbox gridops made on another network (HostState.sandboxMade; older states: the last
 * recorded settings) runs grid-network-rename, on that old network, just before the hypervisor
 * playbook. Returns the old and new network of each such node.
 */
export function replaceRenamedNetwork(workflow: { byNode: Map<string, LoadedPlaybook[]>; refs: string[] }, nodes: readonly Node[], state: GridState, renamed: ReadonlyMap<string, string>): Map<string, { from: string; to: string }> {
  let playbook: LoadedPlaybook | undefined;
  const chosen = new Map<string, { from: string; to: string }>();
  for (const [name, playbooks] of workflow.byNode) {
    const at = playbooks.findIndex((p) => p.ref === 'hypervisor');
    const node = nodes.find((n) => n.name === name);
    const record = recordOf(state, name, renamed);
    // `--playbook hypervisor` lists the playbook for every node, and it skips those whose hypervisor
    // is off (onlyWhere): their old network is hypervisor-off's to remove, in the grid's workflow.
    if (at < 0 || !node || !record || !node.settings.hypervisor.enabled) continue;
    const from = madeOn(record);
    const to = node.settings.hypervisor.sandbox.network;
    if (typeof from !== 'string' || from === to) continue;
    playbook ??= loadPlaybook(GRID_NETWORK_RENAME_PLAYBOOK);
    const own = onNetwork(playbook, from);
    // Not a DNS label (a hand-edited state): naming it in a command is not safe, and the run goes on as before.
    if (own === playbook) continue;
    workflow.byNode.set(name, [...playbooks.slice(0, at), own, ...playbooks.slice(at)]);
    chosen.set(name, { from, to });
  }
  if (chosen.size && !workflow.refs.includes(GRID_NETWORK_RENAME_PLAYBOOK)) workflow.refs.splice(Math.max(0, workflow.refs.indexOf('hypervisor')), 0, GRID_NETWORK_RENAME_PLAYBOOK);
  return chosen;
}

/**
 * Marks the old network's removal and the new network's creation as needing `--replace-sandbox`:
 * the removal stops the VM, and the new network cannot start while the old one is there. Where the
 * old network is already gone (no removal planned), the new one is made as any other change.
 */
export function markNetworkRename(renames: ReadonlyMap<string, { from: string; to: string }>, plans: readonly HostPlan[]): void {
  for (const plan of plans) {
    const rename = renames.get(plan.host);
    if (!rename || !plan.changes.some((c) => c.id === GRID_NETWORK_RENAME_CHANGE)) continue;
    const reason = networkRenameReason(rename.from, rename.to);
    for (const change of plan.changes) if (change.id === GRID_NETWORK_RENAME_CHANGE || (change.kind === 'libvirt-network' && change.network === rename.to)) change.needsRestart = reason;
  }
}
