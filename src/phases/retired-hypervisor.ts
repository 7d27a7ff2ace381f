import { instantiate } from '../playbooks/instantiate.js';
import { loadPlaybook, type LoadedPlaybook } from '../playbooks/load.js';
import type { Change } from '../plan/change.js';
import type { HostPlan } from '../plan/plan.js';
import type { GridState, HostState } from '../state/state.js';
import { templateContext } from '../templates/render.js';
import type { Grid, Node } from '../topology/model.js';
import { recordOf } from './renamed-node.js';

/** The playbook that removes the sandbox VM and what it needs (playbooks/hypervisor-off.yaml). */
export const HYPERVISOR_OFF_PLAYBOOK = 'hypervisor-off';

/** Why its changes wait for the operator's word, as a sandbox restart does. */
export const SANDBOX_REMOVAL = "hypervisor.enabled is now false: the sandbox VM is destroyed (remote users' work in it is lost) with its network, pool and disks";

/** The template value hypervisor-off names its network by, replaced with the network the node last had. */
const NETWORK_VALUE = '{{node.settings.hypervisor.sandbox.network}}';

/**
 * Terraform's rule for a setting the configuration turned off: a node whose sandbox VM gridops made
 * (HostState.sandboxMade; older states: its last successful playbooks ran `hypervisor`) and whose
 * workflow no longer runs the hypervisor playbook (hypervisor.enabled became false) runs
 * hypervisor-off in its place, which destroys the sandbox VM and removes its network, pool and
 * hook; otherwise they would keep running (and autostarting) while plan and status say nothing.
 * The network removed is the one gridops made for that sandbox, not the topology's value now
 * (which may have been edited or dropped with the rest). Its changes are refused without
 * `--replace-sandbox` (markSandboxRemoval). Only in runs of the grid's own workflow, on the nodes
 * the run selected. Returns the playbook each such node runs.
 */
export function removeRetiredHypervisor(workflow: { byNode: Map<string, LoadedPlaybook[]>; refs: string[] }, state: GridState, renamed: ReadonlyMap<string, string>, removing: ReadonlySet<string>): Map<string, LoadedPlaybook> {
  let playbook: LoadedPlaybook | undefined;
  const chosen = new Map<string, LoadedPlaybook>();
  for (const [name, playbooks] of workflow.byNode) {
    if (removing.has(name) || playbooks.some((p) => p.ref === 'hypervisor')) continue;
    const record = recordOf(state, name, renamed);
    const network = record && madeOn(record);
    if (network === undefined) continue;
    playbook ??= loadPlaybook(HYPERVISOR_OFF_PLAYBOOK);
    const own = onNetwork(playbook, network);
    // In the hypervisor playbook's place: after node-base, before qos and the agent.
    const at = playbooks.findIndex((p) => p.ref === 'node-base') + 1;
    workflow.byNode.set(name, [...playbooks.slice(0, at), own, ...playbooks.slice(at)]);
    chosen.set(name, own);
  }
  if (chosen.size && !workflow.refs.includes(HYPERVISOR_OFF_PLAYBOOK)) workflow.refs.push(HYPERVISOR_OFF_PLAYBOOK);
  return chosen;
}

/**
 * The network of the sandbox gridops made on the node (`null`: the network is not known, the
 * topology's then), or undefined where it made none or removed it. An older state, without the
 * marker: its last successful playbooks and recorded settings say.
 */
export function madeOn(record: HostState): string | null | undefined {
  if (record.sandboxMade === null) return undefined;
  if (record.sandboxMade) return record.sandboxMade.network;
  return record.playbooks.includes('hypervisor') ? record.node?.settings?.hypervisor.sandbox.network ?? null : undefined;
}

/** A playbook naming its network by the node's setting (hypervisor-off, grid-network-rename), on `network` instead (a DNS label, checked again here: it goes into a command); as it is where that is not known. */
export function onNetwork(playbook: LoadedPlaybook, network: string | null): LoadedPlaybook {
  if (network === null || !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(network)) return playbook;
  return JSON.parse(JSON.stringify(playbook).replaceAll(NETWORK_VALUE, network)) as LoadedPlaybook;
}

/**
 * The reset playbook (decommission, `gridops reset`) for a node, removing the grid network gridops
 * made there as the state recorded it: a rename refused for want of --replace-sandbox leaves the
 * node's setting naming a network that was never made, and the old one would stay behind.
 */
export function resetOnMadeNetwork(reset: LoadedPlaybook, record: HostState | undefined): LoadedPlaybook {
  const made = record ? madeOn(record) : undefined;
  return typeof made === 'string' ? onNetwork(reset, made) : reset;
}

/**
 * Marks the hypervisor-off changes of each such host as needing `--replace-sandbox`, every one of
 * them: removing the network, the pool or its directory under a VM that was not destroyed would
 * break it, so without the flag the node keeps all of it and apply says so.
 */
export function markSandboxRemoval(grid: Grid, nodes: readonly Node[], chosen: ReadonlyMap<string, LoadedPlaybook>, plans: readonly HostPlan[]): void {
  for (const plan of plans) {
    const playbook = chosen.get(plan.host);
    const node = nodes.find((n) => n.name === plan.host);
    if (!playbook || !node) continue;
    const ids = new Set(instantiate(playbook, templateContext(grid, node)).resources.map((r) => r.id));
    for (const change of plan.changes) if (ids.has(change.id)) change.needsRestart = SANDBOX_REMOVAL;
  }
}

/** The kinds of change that leave on the host something of the sandbox that hypervisor-off removes. */
const SANDBOX_KINDS: ReadonlySet<Change['kind']> = new Set(['libvirt-network', 'libvirt-pool', 'sandbox-image', 'sandbox-disk', 'sandbox-egress', 'sandbox-domain']);

/**
 * The sandbox marker (HostState.sandboxMade) after this outcome: cleared by a hypervisor-off run
 * that did all its work (`done`: every planned change applied; one refused without
 * --replace-sandbox leaves the marker as it was), set by a hypervisor run as soon as any sandbox
 * change of it ran (`started`), even in a run that then failed: a failed first apply leaves a
 * network, a pool, maybe a defined VM, which hypervisor-off must find once the hypervisor is
 * turned off. Else kept. While the old network of a renamed one may still be there (`oldNetwork`:
 * its removal did not complete), the marker names that one, so the next run removes it.
 */
export function sandboxMadeRecord(run: { done: boolean; ran: readonly string[]; started: readonly Change[]; oldNetwork?: string }, node: Node, previous: HostState | undefined): Pick<HostState, 'sandboxMade'> {
  if (run.done && run.ran.includes(HYPERVISOR_OFF_PLAYBOOK)) return { sandboxMade: null };
  if (run.oldNetwork !== undefined) return { sandboxMade: { network: run.oldNetwork } };
  // The qos playbook holds the VM's egress too (its hook and ifb, which hypervisor-off removes): a `--playbook qos` run that made them counts.
  const made = node.settings.hypervisor.enabled && ((run.ran.includes('hypervisor') && (run.done || run.started.some((c) => SANDBOX_KINDS.has(c.kind)))) || run.started.some((c) => c.kind === 'sandbox-egress'));
  if (made) return { sandboxMade: { network: node.settings.hypervisor.sandbox.network } };
  return previous?.sandboxMade === undefined ? {} : { sandboxMade: previous.sandboxMade };
}
