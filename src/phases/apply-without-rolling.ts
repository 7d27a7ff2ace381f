import { namedFew } from '../named-few.js';
import { sh } from '../transport/quote.js';
import { runFlags } from './run-flags.js';
import type { RunOptions } from './run-options.js';

/**
 * How to repair hosts of a rolling run whose changes are still planned and whose agents may not
 * answer: `--rolling` refuses to start without a converged overlay, so running it again refuses
 * again, while the changes that would bring those agents back wait in it. A plain apply of those
 * hosts alone applies them; the rolling run then starts from a converged overlay. The command is
 * the run's own (its file, `--playbook`s, `--state-dir` and `--ask-become-pass`), quoted to paste.
 */
export function applyWithoutRollingFirst(nodes: readonly string[], run: Pick<RunOptions, 'topologyFile' | 'playbooks' | 'stateDir' | 'becomePrompt'>): string {
  const command = sh(['gridops', 'apply', run.topologyFile, ...(run.playbooks ?? []).flatMap((p) => ['--playbook', p]), ...runFlags(run), '--limit', nodes.join(',')]);
  return `apply ${namedFew(nodes)} without --rolling first (\`${command}\`), then run the rolling apply again`;
}
