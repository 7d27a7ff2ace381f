import type { RunOptions } from './run-options.js';

/**
 * The flags of the run at hand that a gridops command its hints suggest must carry to work as
 * pasted: its --state-dir (else the command reads another state) and its --ask-become-pass (else a
 * host whose sudo asks for a password stops it).
 */
export interface RunFlags {
  stateDir?: string;
  askBecomePass?: boolean;
}

/** RunFlags of a run, from its options. */
export function runFlagsOf(run: Pick<RunOptions, 'stateDir' | 'becomePrompt'>): RunFlags {
  return { ...(run.stateDir ? { stateDir: run.stateDir } : {}), ...(run.becomePrompt ? { askBecomePass: true } : {}) };
}

/** RunFlags of a run as command-line words. */
export function runFlags(run: Pick<RunOptions, 'stateDir' | 'becomePrompt'>): string[] {
  const { stateDir, askBecomePass } = runFlagsOf(run);
  return [...(stateDir ? ['--state-dir', stateDir] : []), ...(askBecomePass ? ['--ask-become-pass'] : [])];
}
