import type { OverlayCheck } from '../overlay/poll.js';
import { overlayRecord, type OverlayRecord } from '../overlay/overlay-record.js';
import { unlikePlan } from '../overlay/unlike-plan.js';
import type { RunContext } from './run-context.js';

/** What a gate or the verify phase saw, as the run (and then the state) records it; compared with the plan's initial election. */
export function recordOverlay(ctx: RunContext, check: OverlayCheck, agents: number): OverlayRecord {
  const election = ctx.plan.election;
  const differ = election && check.agreement.converged ? unlikePlan(election, check.agreement) : undefined;
  ctx.overlay = overlayRecord(check.agreement, agents, check.ms, differ);
  return ctx.overlay;
}
