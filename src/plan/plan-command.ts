import { sh } from '../transport/quote.js';

/** The flags a suggested `gridops plan` carries beside its topology and --out file. */
export interface PlanCommandFlags {
  playbooks?: readonly string[];
  limit?: readonly string[];
  allowOlderGridops?: boolean;
  /** The run's --state-dir: without it, the plan would be made from (and its digests keyed by) another state. */
  stateDir?: string;
  /** The run asked for the sudo password (--ask-become-pass): a plan of the same hosts needs it too, where sudo asks for one. */
  askBecomePass?: boolean;
}

/**
 * The one builder of a suggested `gridops plan TOPOLOGY … --out FILE`, quoted so that it runs as
 * written, whatever the paths hold.
 */
export function planCommand(topologyFile: string, planFile: string, flags: PlanCommandFlags = {}): string {
  return sh([
    'gridops',
    'plan',
    topologyFile,
    ...(flags.playbooks ?? []).flatMap((ref) => ['--playbook', ref]),
    ...(flags.limit?.length ? ['--limit', flags.limit.join(',')] : []),
    ...(flags.allowOlderGridops ? ['--allow-older-gridops'] : []),
    ...runFlagWords(flags),
    '--out',
    planFile,
  ]);
}

/**
 * The flags of the run at hand that any gridops command a hint suggests must carry to work as
 * pasted, as command-line words: its --state-dir (else the command reads another state) and its
 * --ask-become-pass (else a host whose sudo asks for a password stops it).
 */
export function runFlagWords(flags: Pick<PlanCommandFlags, 'stateDir' | 'askBecomePass'>): string[] {
  return [...(flags.stateDir ? ['--state-dir', flags.stateDir] : []), ...(flags.askBecomePass ? ['--ask-become-pass'] : [])];
}
