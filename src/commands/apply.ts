import { Args, Flags } from '@oclif/core';
import { createInterface } from 'node:readline/promises';
import { GridopsCommand } from '../base-command.js';
import { connectionFlags, connectionRunOptions, interruptOnSigint } from '../cli-flags.js';
import type { ApplyEvent } from '../engine/gate.js';
import { runApply } from '../phases/apply.js';
import type { ApplyResult } from '../phases/apply-outcome.js';
import { formatProblem } from '../errors/problem.js';
import { ApplyFailedError, InterruptedError, OverlayNotConvergedError, type GridopsError } from '../errors/index.js';
import { loadPlan } from '../plan/plan-file.js';
import { renderPlan } from '../plan/render.js';
import { formatApplySummary } from '../formatters/apply-summary.js';
import { createRunLog } from '../run-log.js';
import { progressLine } from '../formatters/progress.js';

export default class Apply extends GridopsCommand<ApplyResult> {
  static override summary = 'Bring every host to the topology: plan from real state, confirm, apply exactly that plan';
  static override description =
    'Shows the plan and asks before changing anything (unless --yes). One failing host does not stop the others (unless --fail-fast). Ctrl-C stops starting new work and lets running steps finish; re-running converges. With --json, progress events are printed to stderr as JSON lines and the result to stdout.';
  static override examples = ['<%= config.bin %> apply topology.yaml', '<%= config.bin %> apply topology.yaml --plan plan.json --yes'];
  static override args = { file: Args.string({ required: true, description: 'topology file' }) };
  static override flags = {
    ...connectionFlags,
    plan: Flags.string({ description: 'apply this saved plan; refused if the topology or any host changed since' }),
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation', default: false }),
    'fail-fast': Flags.boolean({ description: 'stop starting hosts after the first failure', default: false }),
    rolling: Flags.boolean({ description: 'apply in batches of rollout.maxUnavailable (overall and per sub-grid), ordinary nodes first and super peers last, each gated on the overlay converging within rollout.healthTimeout; stops at the first failed batch or gate, and a re-run resumes', default: false }),
    'replace-sandbox': Flags.boolean({ description: 'also perform changes that restart the sandbox VM (a new image, vcpus, max memory, an owned device); without it they are refused and left untouched', default: false }),
    verify: Flags.boolean({ description: 'afterwards, ask the agents until every sub-grid has one super peer and every node joined (up to rollout.healthTimeout); --no-verify skips it', default: true, allowNo: true }),
  };

  async run(): Promise<ApplyResult> {
    const { args, flags } = await this.parse(Apply);
    const json = this.jsonEnabled();
    const interrupt = interruptOnSigint(() => process.stderr.write('\ninterrupted: no new steps will start; running steps finish (Ctrl-C again to quit now)\n'));
    const savedPlan = flags.plan ? await loadPlan(flags.plan) : undefined;
    const log = await createRunLog(flags['log-file'], `apply ${args.file}`);
    const emit = (e: ApplyEvent) => {
      log?.info(e, e.type);
      if (json) process.stderr.write(`${JSON.stringify(e)}\n`);
      else this.logEvent(e);
    };
    try {
      const result = await runApply({
        topologyFile: args.file,
        // A saved plan made with --playbook runs those playbooks again; one made without runs the grid's workflow.
        playbooks: savedPlan ? (savedPlan.adHocPlaybooks ? savedPlan.playbooks : undefined) : flags.playbook,
        ...connectionRunOptions(flags),
        signal: interrupt.signal,
        savedPlan,
        failFast: flags['fail-fast'],
        verify: flags.verify,
        rolling: flags.rolling,
        replaceSandbox: flags['replace-sandbox'],
        logger: log,
        warn: (w) => json || process.stderr.write(`${formatProblem({ ...w, message: `warning: ${w.message}` })}\n`),
        progress: (message, ms) => process.stderr.write(json ? `${JSON.stringify({ type: 'progress', message, ms })}\n` : progressLine(message, ms, this.verbose)),
        onPlan: (plan) => this.say(renderPlan(plan, { color: process.stdout.isTTY })),
        confirm: async () => flags.yes || savedPlan !== undefined || (await this.ask()),
        emit,
      }, (title) => this.verbose && process.stderr.write(json ? `${JSON.stringify({ type: 'phase', title })}\n` : `gridops: == ${title}\n`));
      log?.info({ result }, 'apply finished');
      this.say(formatApplySummary(result));
      return result;
    } catch (err) {
      log?.error({ err }, 'apply failed');
      if ((err instanceof ApplyFailedError || err instanceof OverlayNotConvergedError) && !json) this.say(formatApplySummary((err as GridopsError & { result: ApplyResult }).result));
      throw err;
    } finally {
      interrupt.dispose();
    }
  }

  private async ask(): Promise<boolean> {
    if (!process.stdin.isTTY) throw new InterruptedError('refusing to apply without confirmation: stdin is not a terminal', 'review the plan, then pass --yes');
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    try {
      return (await rl.question('\nApply these changes? Only "yes" is accepted: ')).trim() === 'yes';
    } finally {
      rl.close();
    }
  }

  private logEvent(e: ApplyEvent): void {
    switch (e.type) {
      case 'change-start':
        if (this.verbose) this.log(`${e.host}: … ${e.id}`);
        break;
      case 'change-done':
        this.log(`${e.host}: ✓ ${e.id}${this.verbose ? ` (${e.ms} ms)` : ''}`);
        break;
      case 'change-failed':
        this.log(`${e.host}: ✗ ${e.id}: ${e.error}`);
        break;
      case 'change-refused':
        this.log(`${e.host}: refused ${e.id}: ${e.reason} (pass --replace-sandbox to allow it)`);
        break;
      case 'host-skipped':
        this.log(`${e.host}: skipped (${e.reason})`);
        break;
      default:
        break;
    }
  }
}
