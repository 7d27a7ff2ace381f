import type { Problem } from '../errors/problem.js';
import { GATE_STABLE_MS } from './gate-stable-window.js';
import { DEFAULT_ROLLOUT } from './builtin-defaults.js';
import type { Grid } from './model.js';
import { pathToString, positionOf, type PathSegment, type SourceDocument } from './source.js';

/**
 * `rollout.healthTimeout` bounds each gate of `apply --rolling`, and a gate passes only once the
 * overlay has held the same super and region peers for GATE_STABLE_MS. A timeout not longer than
 * that fails every gate, so the first batch of every rolling apply stops as unhealthy, however
 * healthy the grid: said where it is written rather than stretched in silence past what the file
 * says. Only `apply --rolling` has gates, so at load it is a warning (reset, state, status and a
 * plain apply do not need it, and a file valid before an upgrade keeps working); a rolling apply
 * refuses it before any connection (phases/rolling-health-timeout.ts), as Kubernetes refuses a
 * progressDeadlineSeconds not above minReadySeconds.
 */
export function healthTimeoutProblems(grid: Grid, source: SourceDocument): Problem[] {
  const ms = grid.rollout.healthTimeoutMs;
  // Unset, it is the default; an unsound value was reported by the schema and left at the default too.
  if (ms > GATE_STABLE_MS) return [];
  const path: PathSegment[] = ['rollout', 'healthTimeout'];
  const written = (source.value as { rollout?: { healthTimeout?: unknown } } | undefined)?.rollout?.healthTimeout;
  const stable = GATE_STABLE_MS / 1000;
  return [
    {
      file: source.file,
      ...positionOf(source, path),
      path: pathToString(path),
      message: `healthTimeout ${typeof written === 'string' ? written : `${ms}ms`} is not longer than the ${stable} s a rolling batch's overlay must hold the same super and region peers to pass its gate, so every batch of apply --rolling would fail`,
      hint: `set rollout.healthTimeout well above ${stable}s, leaving the overlay time to converge first, e.g. 30s (${DEFAULT_ROLLOUT.healthTimeoutMs / 1000}s when not set)`,
    },
  ];
}
