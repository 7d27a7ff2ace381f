import { loadPlaybook, type LoadedPlaybook } from '../playbooks/load.js';
import type { GridState } from '../state/state.js';
import { recordOf } from './renamed-node.js';

/** The playbook that removes the sandbox VM and what it needs (playbooks/hypervisor-off.yaml). */
export const HYPERVISOR_OFF_PLAYBOOK = 'hypervisor-off';

/**
 * Terraform's rule for a setting the configuration turned off: a node whose last successful apply
 * ran the hypervisor playbook and whose workflow no longer has it (hypervisor.enabled became false)
 * runs hypervisor-off in its place, which destroys the sandbox VM and removes its network, pool and
 * hook; otherwise they would keep running (and autostarting) while plan and status say nothing.
 * Once that run succeeds the state's playbooks no longer name `hypervisor`, so later runs do not
 * add it; after a failure they still do (record-state.ts keeps the last successful playbooks).
 * Only in runs of the grid's own workflow, on the nodes the run selected.
 */
export function removeRetiredHypervisor(workflow: { byNode: Map<string, LoadedPlaybook[]>; refs: string[] }, state: GridState, renamed: ReadonlyMap<string, string>, removing: ReadonlySet<string>): string[] {
  let playbook: LoadedPlaybook | undefined;
  const nodes: string[] = [];
  for (const [name, playbooks] of workflow.byNode) {
    if (removing.has(name) || playbooks.some((p) => p.ref === 'hypervisor')) continue;
    if (!recordOf(state, name, renamed)?.playbooks.includes('hypervisor')) continue;
    playbook ??= loadPlaybook(HYPERVISOR_OFF_PLAYBOOK);
    // In the hypervisor playbook's place: after node-base, before qos and the agent.
    const at = playbooks.findIndex((p) => p.ref === 'node-base') + 1;
    workflow.byNode.set(name, [...playbooks.slice(0, at), playbook, ...playbooks.slice(at)]);
    nodes.push(name);
  }
  if (nodes.length && !workflow.refs.includes(HYPERVISOR_OFF_PLAYBOOK)) workflow.refs.push(HYPERVISOR_OFF_PLAYBOOK);
  return nodes;
}
