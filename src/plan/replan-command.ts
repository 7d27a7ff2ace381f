import { sh } from '../transport/quote.js';
import type { Plan } from './plan.js';

/**
 * The `gridops plan` that makes `saved` again for `topologyFile`, written to `planFile`: with the
 * saved plan's own --playbook, --limit and --allow-older-gridops, since `apply --plan` refuses a
 * plan made without the first two, and the state that needed the third still needs it.
 * Quoted so that it runs as written, whatever the paths hold.
 */
export function replanCommand(saved: Plan, topologyFile: string, planFile = 'plan.json'): string {
  const playbooks = saved.adHocPlaybooks ? saved.playbooks.flatMap((ref) => ['--playbook', ref]) : [];
  const limit = saved.limit?.length ? ['--limit', saved.limit.join(',')] : [];
  const older = saved.allowOlderGridops ? ['--allow-older-gridops'] : [];
  return sh(['gridops', 'plan', topologyFile, ...playbooks, ...limit, ...older, '--out', planFile]);
}
