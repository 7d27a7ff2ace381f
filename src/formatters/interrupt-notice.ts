import { APPLY_IN_BATCHES_TITLE } from '../phases/apply-in-batches-title.js';

/**
 * Where a run was when its first SIGINT or SIGTERM came, for what the line printed then can promise:
 * `planning`: no change has started (apply's phases before its batches, and all of `plan`);
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
export function interruptNotice(signal: NodeJS.Signals, stage: RunStage, verb: 'plan' | 'apply' | 'reset'): string {
  const what = signal === 'SIGTERM' ? 'terminated (SIGTERM)' : 'interrupted';
  const again = signal === 'SIGTERM' ? 'send SIGTERM again to quit now' : 'Ctrl-C again to quit now';
  const body =
    stage === 'planning'
      ? verb === 'plan'
        ? 'stopping; plan changes nothing'
        : 'nothing has been changed yet; stopping'
      : stage === 'applying'
        ? 'no new host or batch will start; hosts already being changed finish all their changes, then the state records what was done'
        : 'no host is being changed any more; stopping, and the state records what was done';
  return `\n${what}: ${body} (${again})\n`;
}
