import { isIP } from 'node:net';
import { PlanningError } from '../errors/index.js';
import { recordRanAgent } from '../state/nodes-with-agent.js';
import type { GridState, HostState } from '../state/state.js';
import { allNodes, type Node } from '../topology/model.js';
import { forgetCommand } from './decommission-not-reached.js';
import type { Phase } from './phase.js';
import { lookupAll, renamedTo, resolvedOnce, sameHostByResolution, type ResolveHost } from './renamed-node.js';
import type { ApplyOptions, RunOptions } from './run-options.js';

/** A node of the topology whose state record, with an agent, is another host (or one gridops cannot tell is the same). */
export interface ChangedHost {
  name: string;
  /** Where the topology has it now, and where its agent ran, as `where` writes them. */
  now: string;
  was: string;
  /** The topology's node at the recorded host, under another name: a rename beside a new node of the old name. */
  renamedAs?: string;
  /** Why gridops cannot tell whether the two are one host (a name that did not resolve). */
  unknown?: string;
}

/**
 * The nodes of `nodes` that the state records, with an agent, at another host than the topology
 * gives them under the same name. Same host is renamed-node.ts's rule, the one that finds renames:
 * the same address in canonical form, SSH port and jump host (when the state recorded one), or,
 * where one of the two addresses is a DNS name, an address both resolve to. A node that never ran
 * an agent has nothing on the old host that claims its name: its address may change freely.
 */
export async function changedHosts(nodes: readonly Node[], others: readonly Node[], state: GridState, resolve: ResolveHost): Promise<ChangedHost[]> {
  const changed: ChangedHost[] = [];
  for (const node of nodes) {
    const record = state.hosts[node.name];
    if (!record?.node || !recordRanAgent(record)) continue;
    if (renamedTo([node], record.node)) continue;
    // Resolves only where the addresses differ and one is a name: a run of unchanged addresses looks nothing up.
    const resolved = await sameHostByResolution([node], record.node, resolve);
    if (resolved && 'node' in resolved) continue;
    const { now, was } = where(node, record.node);
    const renamedAs = renamedTo(others.filter((n) => n.name !== node.name), record.node)?.name;
    changed.push({ name: node.name, now, was, ...(renamedAs ? { renamedAs } : {}), ...(resolved ? { unknown: resolved.unknown } : {}) });
  }
  return changed;
}

/** The two hosts as a person tells them apart: the address, with the port and jump host where those differ. */
function where(node: Node, record: NonNullable<HostState['node']>): { now: string; was: string } {
  const portDiffers = node.settings.ssh.port !== record.port;
  const recordedJump = record.settings?.ssh.jumpHost ?? '';
  const jumpDiffers = record.settings !== undefined && (node.settings.ssh.jumpHost ?? '') !== recordedJump;
  const one = (address: string, port: number, jumpHost: string) =>
    `${portDiffers ? (isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`) : address}${jumpDiffers ? (jumpHost ? ` through ${jumpHost}` : ' without a jump host') : ''}`;
  return { now: one(node.address, node.settings.ssh.port, node.settings.ssh.jumpHost ?? ''), was: one(record.address, record.port, recordedJump) };
}

/** The refusal of a run with such nodes: what each is, and the ways on. */
export function changedHostError(changed: readonly ChangedHost[], options: Pick<RunOptions, 'topologyFile' | 'stateDir'> & Pick<Partial<ApplyOptions>, 'command'>): PlanningError {
  if (options.command === 'reset') return resetRefusal(changed, options);
  const what = changed.map((c) => {
    const ran = `${c.name} is at ${c.now} in the topology, but its agent ran at ${c.was} (the state)${c.renamedAs ? `, which is ${c.renamedAs} now` : ''}`;
    return c.unknown ? `${ran}, and gridops cannot tell whether that is the same host (${c.unknown})` : ran;
  });
  const moved = changed.some((c) => !c.unknown);
  const steps = changed.map((c) =>
    c.renamedAs
      ? `${c.name}: rename first: apply with ${c.renamedAs} in place of ${c.name} (its agent leaves under the old name and starts as ${c.renamedAs}), then add ${c.name} at ${c.now} and apply again`
      : `${c.name}: ${c.unknown ? 'run again when the names resolve; if it is another host, ' : ''}remove ${c.name} from the topology and apply (the host at ${c.was} is decommissioned: its agent leaves for good), then add it at ${c.now} and apply again; ` +
        `if the old host is gone (hardware replaced), or it is the same host reached another way (a new DHCP lease, sshd on another port), ${forgetCommand(options, [c.name])} forgets its record without contacting it (with any handler a failed run still owes it), and the next apply sets ${c.now} up as the node, converging what is already there`,
  );
  return new PlanningError(
    `${what.join('; ')}${moved ? ': gridops does not move a node to another host' : ''}; nothing was changed`,
    `${steps.join('. ')}. Applied in place, the new host would take the name over while the old one keeps its agent running under it: two agents claiming one name and voter slot. Or put the recorded address back`,
  );
}

/**
 * The refusal of `gridops reset` with such nodes. Reset reaches a node at its topology address:
 * there it would remove nothing of what the agent's host holds, then forget the node, leaving
 * the old host's agent running under the name with no record left to reach it by.
 */
function resetRefusal(changed: readonly ChangedHost[], options: Pick<RunOptions, 'topologyFile' | 'stateDir'>): PlanningError {
  const what = changed.map((c) => `${c.name} is at ${c.now} in the topology, but its agent ran at ${c.was} (the state)${c.renamedAs ? `, which is ${c.renamedAs} now` : ''}${c.unknown ? `, and gridops cannot tell whether that is the same host (${c.unknown})` : ''}`);
  const steps = changed.map(
    (c) =>
      `${c.name}: ${c.unknown ? 'run again when the names resolve; if it is another host, ' : ''}to reset the host at ${c.was}, put that address back in the topology and run reset again; ` +
      `if that host is gone, ${forgetCommand(options, [c.name])} forgets ${c.name} without contacting it`,
  );
  return new PlanningError(`${what.join('; ')}; nothing was changed`, `${steps.join('. ')}`);
}

/**
 * Refuses a run whose nodes include one kept under its name whose host changed (changedHosts),
 * before any connection: gridops has no move between hosts, as it has none between sub-grids
 * (moved-node.ts), and `gridops reset` would clean the new host and forget the old one's agent.
 * Renames are found only among the names the topology dropped
 * (find-removed-nodes.ts), so without this a new address under a kept name (hardware replaced,
 * the old host still up) would be applied as that node, the old host's agent never leaving, and a
 * rename on one host beside a new node of the old name would go unseen. A node outside the run
 * (`--limit`) is not its concern, nor one being decommissioned (reached where the state has it).
 */
export const checkChangedHosts: Phase = {
  title: 'check that no node changed host',
  async run(ctx) {
    const state = await ctx.recordedState();
    const nodes = ctx.nodes.filter((n) => !ctx.recordedOnly.has(n.name));
    const changed = await changedHosts(nodes, allNodes(ctx.grid), state, resolvedOnce(ctx.options.resolveHost ?? lookupAll));
    if (changed.length) throw changedHostError(changed, ctx.options);
  },
};
