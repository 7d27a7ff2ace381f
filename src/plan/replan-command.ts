import { printableText } from '../text/printable-text.js';
import { planCommand } from './plan-command.js';
import type { Plan } from './plan.js';

/**
 * The `gridops plan` that makes `saved` again for `topologyFile`, written to `planFile`: with the
 * saved plan's own --playbook, --limit and --allow-older-gridops, since `apply --plan` refuses a
 * plan made without the first two, and the state that needed the third still needs it; and with
 * the run's --state-dir, where the plan's state is, and its --ask-become-pass, without which a
 * plan of hosts whose sudo asks for a password stops there. `otherGrid`: the plan is of another grid, whose
 * --limit names its nodes and whose consent to an older gridops is its state's, so only its
 * playbooks are kept. Escaped (printableText), as the values come from the plan file: a tampered
 * plan must not act on the terminal through its hint.
 */
export function replanCommand(saved: Plan, topologyFile: string, planFile = 'plan.json', options: { stateDir?: string; askBecomePass?: boolean; otherGrid?: boolean } = {}): string {
  const command = planCommand(topologyFile, planFile, {
    playbooks: saved.adHocPlaybooks ? saved.playbooks : [],
    ...(options.otherGrid ? {} : { limit: saved.limit, allowOlderGridops: saved.allowOlderGridops }),
    stateDir: options.stateDir,
    askBecomePass: options.askBecomePass,
  });
  return printableText(command);
}
