import { overlayConverged, type GridStatus } from './grid-status.js';

/**
 * Why `status` exits 1, one line each (none: exit 0). Always: a node that cannot be reached.
 * `--wait`: the overlay had not converged when the wait ran out. `--strict`, for monitoring that
 * wants one exit code for "the grid is as the topology says": also a node not applied with this
 * topology, an overlay that has not converged, and a sandbox VM that is not running.
 */
export function statusFailures(status: GridStatus, flags: { strict: boolean; waited: boolean }): string[] {
  const failures: string[] = [];
  const unreachable = status.nodes.filter((n) => !n.reachable).map((n) => n.node);
  if (unreachable.length) failures.push(`unreachable: ${unreachable.join(', ')}`);
  if ((flags.waited || flags.strict) && !overlayConverged(status)) failures.push(`the overlay has not converged${waitingFor(status)}`);
  if (!flags.strict) return failures;
  const notInSync = status.nodes.filter((n) => n.reachable && n.applied !== 'in-sync').map((n) => n.node);
  if (notInSync.length) failures.push(`not applied with this topology: ${notInSync.join(', ')}`);
  const stopped = status.nodes.filter((n) => n.sandbox && n.sandbox.state !== 'running').map((n) => `${n.node} (${n.sandbox!.state})`);
  if (stopped.length) failures.push(`sandbox VM not running: ${stopped.join(', ')}`);
  return failures;
}

/** The first few of what convergence waits for (overlay/convergence.ts), after a colon. */
function waitingFor(status: GridStatus): string {
  const lines = status.overlay?.waitingFor ?? [];
  if (lines.length === 0) return '';
  return `: ${lines.slice(0, 3).join('; ')}${lines.length > 3 ? `; and ${lines.length - 3} more` : ''}`;
}
