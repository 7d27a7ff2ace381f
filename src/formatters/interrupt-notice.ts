import { namedFew } from '../named-few.js';
import { APPLY_IN_BATCHES_TITLE } from '../phases/apply-in-batches-title.js';
import { plural } from '../plural.js';

/**
 * Where a run was when its first SIGINT or SIGTERM came, for what the line printed then can promise:
 * `planning`: no change has started (apply's phases before its batches, and all of `plan`, `status` and `graph --live`, which change nothing);
 * `applying`: the batch loop runs, some hosts may be part-way through their changes;
 * `after-changes`: the batch loop is over (verify, record the state, disconnect).
 */
export type RunStage = 'planning' | 'applying' | 'after-changes';

/**
 * The stage after `title`'s phase started (phase titles come from runPhases' onPhase). Only the
 * batch loop changes hosts, so the stage moves on at its start and again at the first phase after it.
 */
export function stageAfterPhase(stage: RunStage, title: string): RunStage {
  if (title === APPLY_IN_BATCHES_TITLE) return 'applying';
  return stage === 'applying' ? 'after-changes' : stage;
}

/**
 * The line printed at the first signal: what stops and what still runs, as the run will do it
 * (the mutation gate starts no new host, the batch loop no new batch, and a host whose batch
 * already runs finishes all of it: gate.ts, apply-in-batches.ts), and how to quit at once. A second
 * signal of either kind exits at once (interruptOnSignals), so name the one the user just used.
 */
export function interruptNotice(signal: NodeJS.Signals, stage: RunStage, verb: 'plan' | 'apply' | 'reset' | 'status' | 'graph'): string {
  const what = signal === 'SIGTERM' ? 'terminated (SIGTERM)' : 'interrupted';
  const again = signal === 'SIGTERM' ? 'send SIGTERM again to quit now' : 'Ctrl-C again to quit now';
  const body =
    stage === 'planning'
      ? verb !== 'apply' && verb !== 'reset'
        ? `stopping; ${verb} changes nothing`
        : 'nothing has been changed yet; stopping'
      : stage === 'applying'
        ? 'no new host or batch will start; hosts already being changed finish all their changes, then the state records what was done'
        : 'no host is being changed any more; stopping, and the state records what was done';
  return `\n${what}: ${body} (${again})\n`;
}

/**
 * The line printed at the second signal, as the process exits (130). The batches already sent are
 * not stopped: nothing is sent to end them, and what a remote shell does when its client vanishes
 * mid-command was not verified (the lab saw a `virsh define` still running after the exit), so the
 * line says they may still be finishing rather than that they stop. `busy` are the hosts whose
 * batch had reported a change started and not yet its end.
 */
export function quitNotice(signal: NodeJS.Signals, busy: readonly string[]): string {
  const what = signal === 'SIGTERM' ? 'terminated (SIGTERM) again' : 'interrupted again';
  if (!busy.length) return `\n${what}: quitting now\n`;
  // The run's exit hook lets go of the state lock (lock-state.ts), so nothing stops another run from
  // starting while those batches finish: a run then would read them half-changed. Say to wait.
  return `\n${what}: quitting now; the changes already sent to ${plural(busy.length, 'host')} (${namedFew(busy)}) are not stopped and may still be finishing their batch, and the state does not record them; the lock is released now, so give those hosts a moment to finish (check them) before running gridops again, which then reads them afresh and converges\n`;
}
