import { askYes } from './ask-yes.js';
import type { GridopsCommand } from './base-command.js';
import { connectionRunOptions, interruptOnSignals } from './cli-flags.js';
import type { ApplyEvent } from './engine/gate.js';
import { ApplyFailedError, ConfirmationRefusedError, OverlayNotConvergedError, UsageError, type GridopsError } from './errors/index.js';
import { formatApplySummary } from './formatters/apply-summary.js';
import { interruptNotice, quitNotice, stageAfterPhase, type RunStage } from './formatters/interrupt-notice.js';
import { runMessages } from './formatters/run-messages.js';
import { profileText } from './formatters/profile.js';
import { APPLY_IN_BATCHES_TITLE } from './phases/apply-in-batches-title.js';
import type { RunProfile } from './phases/run-profile.js';
import type { ApplyResult } from './phases/apply-outcome.js';
import type { ApplyOptions } from './phases/run-options.js';
import { hostHasWork, type Plan } from './plan/plan.js';
import { renderPlan } from './plan/render.js';
import { createRunLog } from './run-log.js';

/** What apply and reset share on the command side: how a run talks to the person at the terminal. */
export interface ApplyLikeFlags {
  concurrency: number;
  'accept-new-host-keys': boolean;
  'ask-become-pass': boolean;
  limit?: string[];
  'state-dir'?: string;
  'log-file'?: string;
  persist?: string;
  yes: boolean;
}

/**
 * Runs an apply-shaped workflow (apply, reset) for a command: Ctrl-C handling, the run log,
 * progress and events on stderr (JSON lines with --json), the plan, the question, the summary.
 */
export async function runApplyLike(
  command: GridopsCommand<ApplyResult> & { jsonEnabled(): boolean },
  verb: 'apply' | 'reset',
  file: string,
  flags: ApplyLikeFlags,
  extra: Partial<ApplyOptions> & { skipQuestion?: boolean },
  run: (options: ApplyOptions, onPhase: (title: string) => void) => Promise<ApplyResult>,
): Promise<ApplyResult> {
  const json = command.jsonEnabled();
  // As Terraform's `apply -json` needs -auto-approve: with --json the plan is not printed (stdout
  // holds only the result), so a question would confirm a plan nobody saw and corrupt that JSON.
  // Said before anything connects or takes the lock; a saved plan was reviewed when it was made.
  if (json && !flags.yes && extra.skipQuestion !== true) {
    const review =
      verb === 'apply'
        ? 'review the plan with `gridops plan FILE`, then pass --yes; or save it (`gridops plan FILE --out plan.json`) and apply that: `gridops apply FILE --plan plan.json --json` asks nothing'
        : 'review what it removes with `gridops reset FILE` without --json (it shows the nodes and asks), then pass --yes';
    throw new UsageError(`${verb} --json needs --yes: gridops cannot ask for confirmation when its output is JSON`, review);
  }
  const verbose = command.isVerbose();
  const color = command.useColor();
  const messages = runMessages({ json, verbose });
  // On a terminal, a live line per host (listr2, loaded only then); elsewhere, one line per event.
  const Progress = !json && process.stdout.isTTY ? (await import('./formatters/host-progress.js')).HostProgress : undefined;
  let progress: InstanceType<NonNullable<typeof Progress>> | undefined;
  // The line at the first signal says what the run will still do, which depends on where it is.
  let stage: RunStage = 'planning';
  // Hosts whose batch has started a change and not ended: what a second signal leaves running.
  const busy = new Set<string>();
  // The live lines stop at a signal, so that its line shows at once (HostProgress.endLive).
  const interrupt = interruptOnSignals(
    (signal) => (progress?.endLive(), messages.signalled('interrupt', signal, interruptNotice(signal, stage, verb))),
    (signal) => (progress?.endLive(), messages.signalled('quit', signal, quitNotice(signal, [...busy]))),
  );
  const log = await createRunLog(flags['log-file'], `${verb} ${file}`);
  const emit = (e: ApplyEvent) => {
    if (e.type === 'change-start') busy.add(e.host);
    else if (e.type === 'host-done' || e.type === 'host-failed' || e.type === 'host-skipped') busy.delete(e.host);
    log?.info(e, e.type);
    if (json) process.stderr.write(`${JSON.stringify(e)}\n`);
    else if (progress) {
      progress.event(e);
      // Once the live lines stopped at an interrupt, the hosts still finishing are told line by line.
      if (progress.endedEarly) process.stdout.write(eventLine(e, verbose));
    } else process.stdout.write(eventLine(e, verbose));
  };
  try {
    const result = await run(
      {
        topologyFile: file,
        ...connectionRunOptions(flags, interrupt.signal),
        signal: interrupt.signal,
        failFast: false,
        logger: log,
        warn: messages.warnAt,
        runWarning: messages.warn,
        progress: messages.progress,
        onPlan: (plan) => {
          command.say(renderPlan(plan, { color, command: verb }));
          if (Progress) progress = new Progress(plan.hosts.filter(hostHasWork).map((h) => ({ host: h.host, changes: h.changes.length + h.handlers.length })));
        },
        confirm: async (plan) => flags.yes || extra.skipQuestion === true || (await ask(verb, plan, interrupt.signal)),
        emit,
        ...(verbose ? { onProfile: (profile: RunProfile) => process.stderr.write(profileText(profile, json)) } : {}),
        ...extra,
      },
      (title) => {
        stage = stageAfterPhase(stage, title);
        messages.phase(title);
        if (title === APPLY_IN_BATCHES_TITLE) progress?.start();
      },
    );
    await progress?.stop();
    log?.info({ result }, `${verb} finished`);
    command.say(formatApplySummary(result, verb));
    return result;
  } catch (err) {
    await progress?.stop();
    log?.error({ err }, `${verb} failed`);
    // A refusal before any batch (overlay-before-rolling) is of the same kind but has no result to sum up.
    const result = err instanceof ApplyFailedError || err instanceof OverlayNotConvergedError ? (err as GridopsError & { result?: ApplyResult }).result : undefined;
    if (result && !json) command.say(formatApplySummary(result, verb));
    throw err;
  } finally {
    interrupt.dispose();
  }
}

/** The question before any change; it names the nodes whose gridops is to be removed. */
async function ask(verb: string, plan: Plan, signal: AbortSignal): Promise<boolean> {
  if (!process.stdin.isTTY) throw new ConfirmationRefusedError(`refusing to ${verb} without confirmation: stdin is not a terminal; nothing was changed`, 'review the plan, then pass --yes');
  const removing = plan.hosts.filter((h) => h.decommission && hostHasWork(h)).map((h) => h.host);
  const also = removing.length ? ` This removes gridops from ${removing.join(', ')} and forgets ${removing.length === 1 ? 'it' : 'them'}.` : '';
  return askYes(`\n${verb === 'apply' ? 'Apply these changes?' : 'Reset these nodes?'}${also} Only "yes" is accepted: `, process.stdin, process.stdout, signal);
}

function eventLine(e: ApplyEvent, verbose: boolean): string {
  switch (e.type) {
    case 'change-start':
      return verbose ? `${e.host}: … ${e.id}\n` : '';
    case 'change-done':
      return `${e.host}: ✓ ${e.id}${verbose ? ` (${e.ms} ms)` : ''}\n`;
    case 'change-skipped':
      return `${e.host}: - ${e.id} skipped (${e.reason})\n`;
    case 'change-failed':
      return `${e.host}: ✗ ${e.id}: ${e.error}\n`;
    case 'host-skipped':
      return `${e.host}: skipped (${e.reason})\n`;
    case 'change-refused':
      return `${e.host}: refused ${e.id}: ${e.reason} (pass --replace-sandbox to allow it)\n`;
    default:
      return '';
  }
}
