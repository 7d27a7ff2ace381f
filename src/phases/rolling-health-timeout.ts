import { UsageError } from '../errors/index.js';
import type { Problem } from '../errors/problem.js';

/**
 * `apply --rolling` with a rollout.healthTimeout no longer than a gate's stable window: every batch
 * would fail its gate, so the run is refused before any connection, with exit 64 (the flag cannot
 * be used with this file), where load gave only a warning (topology/health-timeout-check.ts).
 * `warnings` are the topology's, as loaded; the error names the one at rollout.healthTimeout.
 */
export function refuseRollingWithShortHealthTimeout(warnings: readonly Problem[], rolling: boolean | undefined): void {
  if (!rolling) return;
  const short = warnings.find((w) => w.path === 'rollout.healthTimeout');
  if (!short) return;
  throw new UsageError(`--rolling refused: ${short.file}:${short.line}:${short.column}: ${short.message}; nothing was changed`, `${short.hint}; or apply without --rolling`);
}
