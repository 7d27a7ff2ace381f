import { runFlagWords, type PlanCommandFlags } from '../plan/plan-command.js';
import type { RunOptions } from './run-options.js';

/** The flags of the run at hand that a gridops command its hints suggest carries (plan-command.ts runFlagWords). */
export type RunFlags = Pick<PlanCommandFlags, 'stateDir' | 'askBecomePass'>;

/** RunFlags of a run, from its options. */
export function runFlagsOf(run: Pick<RunOptions, 'stateDir' | 'becomePrompt'>): RunFlags {
  return { ...(run.stateDir ? { stateDir: run.stateDir } : {}), ...(run.becomePrompt ? { askBecomePass: true } : {}) };
}

/** RunFlags of a run as command-line words. */
export function runFlags(run: Pick<RunOptions, 'stateDir' | 'becomePrompt'>): string[] {
  return runFlagWords(runFlagsOf(run));
}
