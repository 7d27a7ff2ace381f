/**
 * The held session a host's batch runs in when no read of the host is waiting for it
 * (openBatchShell), opened by the gate (gate.ts) once the apply goes ahead. Opening it as soon as
 * the host's plan had changes, so that its start overlapped other hosts' reads, halved the apply
 * phase of 50 drifted lab hosts (1.2 to 1.7 s -> 0.63 to 0.87 s) and left the run's wall time where
 * it was (5 alternating rounds, 2026-12-04: the lab's two cores are as busy either way), while it
 * kept a shell waiting on each such host through the confirmation: not taken.
 */
import { ConnectionError, GridopsError, InterruptedError, messageUnder } from '../errors/index.js';
import { BATCH_SHELL_QUERY } from '../resources/batch-shell.js';
import { CommandTimeoutError } from '../transport/errors.js';
import type { HeldRead } from '../transport/held-read.js';
import type { Transport } from '../transport/transport.js';

/** How long a host's shell may take to say what its batch needs (BATCH_SHELL_QUERY): builtins only. */
const BATCH_SHELL_TIMEOUT_MS = 20_000;

/**
 * A session for a batch whose host has no read waiting for it (read without a shell, over SFTP,
 * as a host expected in sync is; or a held read whose shell ended): a held read of its own, which
 * asks the shell only what its batch needs (its umask, and whether `rename.ul` is there) and
 * keeps it for the batch. The batch then runs as a held one does: in that shell, its writes
 * placed together and bounded by its process group (transport/batch-group.ts). A batch of its own
 * under the remote `timeout` cost such a host an exec of `timeout`, its fork and an exec of a new
 * `sh`, and a `mv` for each file, as it learnt neither: 50 hosts whose 3-task files were removed
 * took 1.7 to 2.0 s in the apply phase that way, against about 0.6 s held (2026-12-03).
 * Undefined where a read cannot be held (become through sudo), or the shell did not wait: the
 * batch then runs in a session of its own as before. Throws a ConnectionError that says no change
 * was made where the shell cannot be had (InterruptedError as it is).
 */
export async function openBatchShell(transport: Transport, become: boolean): Promise<HeldRead | undefined> {
  if (!transport.execHeld) return undefined;
  let held: HeldRead | undefined;
  try {
    held = await transport.execHeld(BATCH_SHELL_QUERY, { timeoutMs: BATCH_SHELL_TIMEOUT_MS, become });
  } catch (e) {
    if (e instanceof InterruptedError) throw e;
    // Said as what it is for the operator: no change has started on the host. What to do next is
    // the cause's own advice where it has some (a dropped connection is not the host's load).
    const reason = e instanceof CommandTimeoutError ? `it did not answer within ${BATCH_SHELL_TIMEOUT_MS / 1000} s` : messageUnder(transport.name, (e as Error).message);
    const next = (e instanceof GridopsError && e.hint) || 'check the host (its load, its login shell) and rerun';
    throw new ConnectionError(transport.name, `no shell for its changes, so none was made (${reason}); ${next}`, undefined, { cause: e });
  }
  if (held?.waiting) return held;
  held?.release();
  return undefined;
}
