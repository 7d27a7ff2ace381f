import { Args, Flags } from '@oclif/core';
import { GridopsCommand, ExitCode } from '../base-command.js';
import { connectionFlags, connectionRunOptions, interruptOnSignals, olderGridopsFlags } from '../cli-flags.js';
import { runPlan } from '../phases/plan.js';
import { savePlan } from '../plan/plan-file.js';
import { cannotWrite, checkOutputFile, outFileHint } from '../fs/output-file.js';
import { hasChanges, type Plan } from '../plan/plan.js';
import { renderPlan } from '../plan/render.js';
import { createRunLog } from '../run-log.js';
import { runMessages } from '../formatters/run-messages.js';
import { interruptNotice } from '../formatters/interrupt-notice.js';
import { profileText } from '../formatters/profile.js';
import type { RunProfile } from '../phases/run-profile.js';
import { sh } from '../transport/quote.js';
import { runFlagWords } from '../plan/plan-command.js';

const SAVE_HINT = outFileHint('plan.json');

export default class PlanCommand extends GridopsCommand<Plan> {
  static override summary = 'Show what apply would change, read from the real state of every host';
  static override description = "Connects (verified host keys), gathers facts, reads the current state of every resource and prints a per-host diff: + create, ~ change (before -> after), - remove, ! run, = note, nothing to change (e.g. a module built into the kernel). Changes nothing. With no --playbook, plans the grid's whole workflow (node-base, hypervisor where hypervisor.enabled, qos, agent, then the topology's own playbooks).";
  static override examples = ['<%= config.bin %> plan topology.yaml', '<%= config.bin %> plan topology.yaml --out plan.json --detailed-exitcode'];
  static override args = { file: Args.string({ required: true, description: 'topology file' }) };
  static override flags = {
    ...connectionFlags,
    ...olderGridopsFlags,
    out: Flags.string({ description: 'save the plan as JSON, for `apply --plan`' }),
    'detailed-exitcode': Flags.boolean({ description: 'exit 0 when there are no changes, 2 when there are, 1 on errors (64 on a usage error)', default: false }),
  };

  async run(): Promise<Plan> {
    const { args, flags } = await this.parse(PlanCommand);
    // A path the plan cannot be saved to is said before any host is contacted, not after the whole plan.
    if (flags.out) await checkOutputFile(flags.out, SAVE_HINT);
    const messages = runMessages({ json: this.jsonEnabled(), verbose: this.verbose });
    const interrupt = interruptOnSignals((signal) => messages.signalled('interrupt', signal, interruptNotice(signal, 'planning', 'plan')));
    const plan = await runPlan({
      topologyFile: args.file,
      playbooks: flags.playbook,
      allowOlderGridops: flags['allow-older-gridops'],
      ...connectionRunOptions(flags, interrupt.signal),
      signal: interrupt.signal,
      logger: await createRunLog(flags['log-file'], `plan ${args.file}`),
      progress: messages.progress,
      warn: messages.warnAt,
      runWarning: messages.warn,
      ...(this.verbose ? { onProfile: (profile: RunProfile) => process.stderr.write(profileText(profile, this.jsonEnabled())) } : {}),
    }, messages.phase).finally(interrupt.dispose);
    // Printed first: a save that fails still leaves the plan on screen (and, with --json, in the error's result).
    this.say(renderPlan(plan, { color: this.useColor() }));
    if (flags.out) await savePlan(flags.out, plan).catch((err: unknown) => {
      throw Object.assign(cannotWrite(flags.out!, err, SAVE_HINT), { result: plan });
    });
    // The apply to paste: quoted, with the run's --state-dir (the plan's digests are of that state) and --ask-become-pass.
    if (flags.out) this.say(`plan saved to ${flags.out}; apply it with: ${sh(['gridops', 'apply', args.file, '--plan', flags.out, ...runFlagWords({ stateDir: flags['state-dir'], askBecomePass: flags['ask-become-pass'] })])}`);
    // Exit codes through process.exitCode, so the result is still returned (and printed by --json).
    if (plan.hosts.some((h) => h.error)) process.exitCode = ExitCode.FAILURE;
    else if (flags['detailed-exitcode'] && hasChanges(plan)) process.exitCode = ExitCode.CHANGES_PRESENT;
    return plan;
  }
}
