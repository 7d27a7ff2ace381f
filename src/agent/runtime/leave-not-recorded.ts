/**
 * `gridagent leave` could not write the marker that keeps a node that left out of the grid after a
 * restart (disk full, state directory unwritable). The marker is written before anything is
 * announced, so the node has not left: it is still a full member, and the same command leaves once
 * the disk is fixed. Leaving without it would have the node sign back in at its next restart.
 */
export class LeaveNotRecordedError extends Error {
  override readonly name = 'LeaveNotRecordedError';
}

/** POST /leave answers it with 507 (Insufficient Storage), so that `gridagent leave` can tell it from a refusal. */
export const LEAVE_NOT_RECORDED_HTTP_STATUS = 507;

/**
 * `gridagent leave`'s exit code for it (sysexits' EX_CANTCREAT). The reset and agent-rename
 * playbooks stop on this code, where any other failure (an agent that is down) lets them stop the
 * agent anyway: a node whose agent runs and could not leave must not be removed as if it had.
 */
export const LEAVE_NOT_RECORDED_EXIT_CODE = 73;
