import type { RunOptions } from './run-options.js';

/**
 * The flags of the run at hand that a gridops command its hints suggest must carry to work as
 * pasted: its --state-dir (else the command reads another state) and its --ask-become-pass (else a
 * host whose sudo asks for a password stops it).
 */
export function runFlags(run: Pick<RunOptions, 'stateDir' | 'becomePrompt'>): string[] {
  return [...(run.stateDir ? ['--state-dir', run.stateDir] : []), ...(run.becomePrompt ? ['--ask-become-pass'] : [])];
}
