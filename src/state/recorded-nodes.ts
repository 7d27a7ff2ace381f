import type { GridState } from './state.js';

/** A node by name and place: the shape the overlay checks group leaders by. */
export interface LocatedNode {
  name: string;
  region: string;
  subgrid: string;
}

/**
 * Every node the state still records with its place (a node the topology dropped that no run has
 * decommissioned yet, an old name a rename left): its agent may run, and lead, until a full apply
 * removes it, so verify and status count it as a node its sub-grid may elect.
 */
export function recordedNodes(state: Pick<GridState, 'hosts'>): LocatedNode[] {
  return Object.entries(state.hosts).flatMap(([name, h]) => (h.node ? [{ name, region: h.node.region, subgrid: h.node.subgrid }] : []));
}
