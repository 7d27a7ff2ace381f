import type { NodeState } from './types.js';

/**
 * The nodes `up` must (re)build: those whose process is gone, and those whose process runs but
 * never answered ssh (a boot that failed or was interrupted: such a node is no more up than a dead
 * one). `ready` is absent from a lab.json written before it was recorded; such a running node was
 * up then (the lab only reached phase 'ready' once every node answered).
 */
export function nodesToBoot(nodes: readonly NodeState[], alive: (n: NodeState) => boolean): NodeState[] {
  return nodes.filter((n) => !alive(n) || n.ready === false);
}
