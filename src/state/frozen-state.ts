import type { GridState } from './state.js';

/**
 * A state as read from its file, frozen all the way down (it is plain JSON: objects, arrays and
 * values), so that a phase sharing it with others cannot change what they see: a write throws
 * (modules are strict). Whoever builds a new state on it copies it first (structuredClone).
 */
export function frozenState(state: GridState): GridState {
  freezeDeep(state);
  return state;
}

function freezeDeep(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  for (const inner of Object.values(value)) freezeDeep(inner);
  Object.freeze(value);
}
