import { namedFew } from '../named-few.js';
import { forgetCommand } from './decommission-not-reached.js';
import { loadPlaybook, type LoadedPlaybook } from '../playbooks/load.js';
import type { HostState } from '../state/state.js';
import { allNodes, type Grid, type Node } from '../topology/model.js';
import type { Phase } from './phase.js';
import { leaveUnderOldName } from './renamed-agent.js';
import { removeRetiredHypervisor, resetOnMadeNetwork } from './retired-hypervisor.js';
import { lookupAll, renamedByResolution, renamedTo, resolvedOnce, type ResolveHost } from './renamed-node.js';
import { checkResetOfKeptHost } from './reset-of-kept-host.js';

/** The playbook that removes what gridops installed (playbooks/reset.yaml). */
export const RESET_PLAYBOOK = 'reset';

/**
 * A node the state knows and the topology no longer has, as the run reaches it: where the state
 * says it was, with the settings it was last applied with (Terraform destroys from its state, not
 * from the configuration that dropped the resource): its own key, known_hosts, jump host, become
 * and sandbox network, whatever the nodes still in the topology use. A state written before those
 * were recorded gives only user and port; the rest then comes from a node still in the topology,
 * the nearest one (same sub-grid, then region, then grid), and `borrowedFrom` names it.
 */
export function removedNode(grid: Grid, name: string, record: NonNullable<HostState['node']>): { node: Node; borrowedFrom?: string } {
  const node = (settings: Node['settings']): Node => ({
    name,
    address: record.address,
    labels: {},
    superPeer: 'auto',
    region: record.region,
    subgrid: record.subgrid,
    settings,
    // The SSH settings the topology wrote when the node was applied win over ~/.ssh/config again.
    origins: Object.fromEntries((record.sshWritten ?? []).map((key) => [`ssh.${key}`, 'the state'])),
    position: { file: grid.file, line: 1, column: 1 },
  });
  if (record.settings) return { node: node(record.settings) };
  const nodes = allNodes(grid);
  const nearest =
    nodes.find((n) => n.region === record.region && n.subgrid === record.subgrid) ?? nodes.find((n) => n.region === record.region) ?? nodes[0]!;
  const settings = { ...nearest.settings, ssh: { ...nearest.settings.ssh, user: record.user, port: record.port, become: record.user !== 'root' } };
  return { node: node(settings), borrowedFrom: nearest.name };
}

/**
 * Terraform's rule for what the configuration no longer has: plan its removal. Nodes that the
 * state knows but the topology dropped are planned with the reset playbook, shown as `-`, and
 * forgotten once their gridops is gone. A dropped node whose host a node of the topology still is
 * was renamed, not removed (renamed-node.ts): it is not decommissioned, and where its old name ran
 * the agent, that agent first leaves for good (renamed-agent.ts); one whose host a node that is
 * not its rename still is stops the run (reset-of-kept-host.ts). Only for the grid's own
 * workflow over the whole grid: `--playbook`, `--limit` and `--site` work on what they name, and
 * a `--limit` or `--site` run says which decommissions it leaves to a full apply.
 */
export const findRemovedNodes: Phase = {
  title: 'find nodes to decommission',
  shouldRun: (ctx) => !ctx.workflow.adHoc,
  async run(ctx) {
    const partial = ctx.options.limit?.length ? '--limit' : ctx.options.site !== undefined ? '--site' : undefined;
    const skipped: string[] = [];
    const state = await ctx.recordedState();
    const nodes = allNodes(ctx.grid);
    const known = new Set(nodes.map((n) => n.name));
    // A name whose own last run applied is not a rename's new name; one whose runs all failed may be (renamed-node.ts).
    const settled = new Set(Object.entries(state.hosts).filter(([, r]) => r.lastOutcome === 'applied' || r.lastOutcome === 'unchanged').map(([n]) => n));
    // Loaded at the first removal: most runs decommission nothing and need not parse it.
    let reset: LoadedPlaybook | undefined;
    let resolve: ResolveHost | undefined;
    for (const [name, record] of Object.entries(state.hosts)) {
      if (known.has(name)) continue;
      if (!record.node) {
        ctx.warn(`${name} is in the state but no longer in the topology, and the state does not say where it is (recorded by an older gridops): it is not decommissioned; run \`gridops reset\` with a topology that still has it`);
        continue;
      }
      const sameAddress = renamedTo(nodes, record.node);
      const resolved = sameAddress ? { node: sameAddress } : await renamedByResolution(nodes, record.node, settled, (resolve ??= resolvedOnce(ctx.options.resolveHost ?? lookupAll)));
      const renamedAs = resolved && 'node' in resolved ? resolved.node : undefined;
      if (renamedAs) {
        ctx.renamed.set(name, renamedAs.name);
        continue;
      }
      if (resolved && 'unknown' in resolved) {
        // It may be a renamed node's old name: a decommission would reset that very host. Left for a run that can tell.
        ctx.warn(`${name} (${record.node.address}) is in the state but not the topology, and gridops cannot tell whether it was renamed (${resolved.unknown}): not decommissioned in this run; rerun when the names resolve, or, if it is gone for good, ${forgetCommand(ctx.options, [name])} forgets it without contacting it`);
        continue;
      }
      if (partial) {
        skipped.push(name);
        continue;
      }
      // Throws when a node the topology keeps is that host; leaves it when a name does not resolve.
      const cannotTell = await checkResetOfKeptHost(nodes, name, record.node, (resolve ??= resolvedOnce(ctx.options.resolveHost ?? lookupAll)), ctx.options);
      if (cannotTell) {
        ctx.warn(`${name} (${record.node.address}) is in the state but not the topology, and gridops cannot tell whether a node it keeps is that host (${cannotTell.unknown}): not decommissioned in this run; rerun when the names resolve, or, if it is gone for good, ${forgetCommand(ctx.options, [name])} forgets it without contacting it`);
        continue;
      }
      const { node, borrowedFrom } = removedNode(ctx.grid, name, record.node);
      if (borrowedFrom) ctx.warn(`the state does not record how ${name} was reached (recorded by an older gridops): it is reached as ${record.node.user}@${record.node.address}:${record.node.port} with ${borrowedFrom}'s key, known_hosts and jump host`);
      ctx.nodes.push(node);
      ctx.removing.add(name);
      ctx.recordedOnly.add(name);
      reset ??= loadPlaybook(RESET_PLAYBOOK);
      ctx.workflow.byNode.set(name, [resetOnMadeNetwork(reset, record)]);
      if (!ctx.workflow.refs.includes(RESET_PLAYBOOK)) ctx.workflow.refs.push(RESET_PLAYBOOK);
    }
    leaveUnderOldName(ctx.workflow, state, ctx.renamed);
    ctx.sandboxRemovals = removeRetiredHypervisor(ctx.workflow, state, ctx.renamed, ctx.removing);
    const off = [...ctx.sandboxRemovals.keys()];
    if (off.length) ctx.say(`${namedFew(off)}: hypervisor.enabled is now false, so the sandbox VM, its network and pool go (playbook hypervisor-off, with --replace-sandbox; libvirt stays installed)`);
    if (skipped.length) ctx.say(`${namedFew(skipped)} ${skipped.length === 1 ? 'is' : 'are'} in the state but not the topology: not decommissioned in a ${partial} run; a full apply removes ${skipped.length === 1 ? 'it' : 'them'}`);
    if (ctx.removing.size) ctx.say(`decommissioning ${[...ctx.removing].join(', ')}: in the state, no longer in the topology`);
  },
};
