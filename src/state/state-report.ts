import { NotInStateError } from '../errors/index.js';
import { printableJson } from '../text/printable-json.js';
import { closestName } from '../topology/closest-name.js';
import { allNodes, type Grid } from '../topology/model.js';
import type { GridState, HostState } from './state.js';

/** One node as the state file records it, placed in the topology. */
export interface StateEntry {
  node: string;
  /** `region/sub-grid`, or null for a host the state records but the topology no longer has. */
  group: string | null;
  /** `current`: last applied with this very topology file; `older`: with another version of it; `never`: no record. */
  topology: 'current' | 'older' | 'never';
  record: HostState | null;
  /** The live overlay roles the last apply's verify phase recorded for this node. */
  roles: string[];
}

/** Every node of the topology in file order, then hosts the state still holds that the topology dropped. */
export function stateEntries(grid: Grid, state: GridState): StateEntry[] {
  const entry = (node: string, group: string | null): StateEntry => {
    const record = state.hosts[node] ?? null;
    const topology = !record?.appliedAt ? 'never' : record.topologyHash === grid.sourceHash ? 'current' : 'older';
    const roles = [
      ...Object.entries(state.overlay?.superPeers ?? {}).filter(([, peer]) => peer === node).map(([sg]) => `super peer of ${sg}`),
      ...Object.entries(state.overlay?.regionPeers ?? {}).filter(([, peer]) => peer === node).map(([r]) => `region peer of ${r}`),
    ];
    return { node, group, topology, record, roles };
  };
  const nodes = allNodes(grid);
  const known = new Set(nodes.map((n) => n.name));
  return [...nodes.map((n) => entry(n.name, `${n.region}/${n.subgrid}`)), ...Object.keys(state.hosts).filter((h) => !known.has(h)).sort().map((h) => entry(h, null))];
}

/**
 * The entry of one node, or a usage error (exit 64, as `state rm` and a `--limit` that names
 * nothing) naming the closest node when one is near enough.
 */
export function stateEntry(grid: Grid, state: GridState, node: string): StateEntry {
  const entries = stateEntries(grid, state);
  const found = entries.find((e) => e.node === node);
  if (found) return found;
  const near = closestName(node, entries.map((e) => e.node));
  throw new NotInStateError(`no node ${printableJson(node)} in grid ${grid.name} or its state`, `${near ? `did you mean ${printableJson(near)}? ` : ''}\`gridops state list\` lists the nodes`);
}
