import type { GridKeyChange } from './plan.js';

/**
 * The plan's one line for a grid key that differs from the one the last apply deployed: every agent
 * restarts on it at once, and an apply of part of the grid is refused (phases/check-grid-key-whole-grid.ts),
 * said before the apply is asked for. Fingerprints only (secrets/grid-key-fingerprint.ts).
 */
export function gridKeyChangeLine(change: GridKeyChange): string {
  return `Grid key: differs from the one the last apply deployed (fingerprint ${change.deployed} → ${change.current}): the apply restarts every agent at once on the new key, and is refused with --limit, --site or --rolling, or with a node unreachable.`;
}
