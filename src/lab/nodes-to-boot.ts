import type { NodeState } from './types.js';

/**
 * The nodes `up` must (re)build: those whose process is gone, and those whose process runs but
 * never answered ssh (a boot that failed or was interrupted: such a node is no more up than a dead
 * one). A lab.json written before `ready` was recorded is read through withRecordedReadiness.
 */
export function nodesToBoot(nodes: readonly NodeState[], alive: (n: NodeState) => boolean): NodeState[] {
  return nodes.filter((n) => !alive(n) || n.ready === false);
}

/**
 * `ready` as an older lab.json, which did not record it, implies it: every node answered ssh where
 * that lab reached phase 'ready'; where its build stopped, a running node may never have answered,
 * so it is not taken as up.
 */
export function withRecordedReadiness<S extends { phase: string; nodes: NodeState[] }>(state: S): S {
  if (state.phase === 'ready') return state;
  return { ...state, nodes: state.nodes.map((n) => (n.ready === undefined ? { ...n, ready: false } : n)) };
}
