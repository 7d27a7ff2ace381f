import { InterruptedError, messageUnder } from '../errors/index.js';
import { becomeFor } from './become.js';
import type { Change, CommandChange } from '../plan/change.js';
import { hostHasWork } from '../plan/plan.js';
import { fanOut } from '../transport/fan-out.js';
import type { ApplyEvent, ChangeWarning, GateItem } from './gate.js';
import { MutationGate } from './gate.js';
import type { PlannedHost } from './planner.js';
import type { AptLockWait } from '../resources/apt-scripts.js';

export interface HostOutcome {
  host: string;
  status: 'applied' | 'unchanged' | 'failed' | 'skipped';
  applied: number;
  /**
   * Where the host stopped (`command boom`; `systemd-unit x, step start x` where the step says
   * more than the change), how (`exit 1`, or for a host whose batch could not run, the reason), and the tail of
   * what the step printed, for the summary.
   */
  failure?: { step: string; error: string; stderr?: string; stdout?: string };
  /**
   * Changes a guard skipped as they were to run (a command whose `creates` an earlier change made),
   * and why: they changed nothing, count in no `applied` and notified no handler.
   */
  skipped?: Array<{ id: string; reason: string }>;
  /**
   * What completed changes' steps said as warnings (resources/step-warning.ts), in order: a repair
   * made on their way, such as an interrupted dpkg finished. Said by the run though the host
   * succeeded, where the rest of a succeeded step's stderr is shown nowhere. Absent when none.
   */
  warnings?: ChangeWarning[];
  /** Changes that would restart the sandbox VM, left untouched because apply was not given --replace-sandbox. */
  refused?: Array<{ id: string; reason: string }>;
  /**
   * The ids of the changes whose steps ran on the host: those completed and, after a failure, the
   * one that failed, which may have left part of its work (a network defined but not started).
   * What the state must remember even when the run failed (retired-hypervisor.ts).
   */
  started?: string[];
  /**
   * After a failed batch: the handlers it owes the host, to run on the next apply (HostState.pendingHandlers):
   * notified by a change it completed, or owed from an earlier failed run, and not run; after a
   * connection lost mid-batch, every handler the batch would have run. Absent when none.
   */
  pendingHandlers?: string[];
}

/**
 * Applies exactly the planned changes: hosts in parallel (bounded), each host's changes in plan
 * order through the gate, which stops a host at its first failing step. The other hosts go on,
 * unless `failFast`. Notified handlers run once per host, after all its changes succeeded; a
 * host's handlers that a failed run left owed run there too, even with no change.
 */
export async function applyPlan(
  planned: readonly PlannedHost[],
  options: {
    concurrency: number;
    failFast: boolean;
    signal?: AbortSignal;
    emit: (e: ApplyEvent) => void;
    replaceSandbox?: boolean;
    aptLockWait?: AptLockWait;
    /** Whether the run needs no more of a host once its changes ended: its connection then closes at once, while other hosts still apply. */
    doneWith?: (p: PlannedHost) => boolean;
  },
): Promise<HostOutcome[]> {
  const gate = new MutationGate(options.emit, options.signal, options.aptLockWait);
  const outcomes = await fanOut(
    planned.filter((p) => hostHasWork(p.plan)),
    (p) => p.session.node.name,
    async (p) => {
      try {
        return await applyHost(p, gate, options.emit, options.replaceSandbox ?? false);
      } finally {
        // Not awaited: the close overlaps other hosts' batches, as a plan's closes overlap other
        // hosts' reads; the run's disconnect waits for it (a fresh 50-host first apply spent
        // 0.26 s there closing every connection at once).
        if (options.doneWith?.(p)) void p.session.transport.close().catch(() => undefined);
      }
    },
    { concurrency: options.concurrency, failFast: options.failFast, signal: options.signal },
  );
  // Hosts skipped (fail-fast, Ctrl-C) end their read's waiting shell now, not when the run disconnects.
  for (const p of planned) p.held?.release();
  const byHost = new Map(outcomes.map((o) => [o.host, o]));
  return planned.map((p): HostOutcome => {
    const host = p.session.node.name;
    const o = byHost.get(host);
    if (!o) return { host, status: 'unchanged', applied: 0 };
    if (o.status === 'ok') return o.value;
    if (o.status === 'skipped') {
      options.emit({ type: 'host-skipped', host, reason: o.reason });
      return { host, status: 'skipped', applied: 0 };
    }
    return (o.error as HostApplyFailure).outcome;
  });
}

/** Carries a host's outcome out of fanOut as a failure, so fail-fast can react to it. */
class HostApplyFailure extends Error {
  constructor(readonly outcome: HostOutcome) {
    super(outcome.failure ? `${outcome.host}: ${outcome.failure.step}: ${outcome.failure.error}` : outcome.status);
  }
}

async function applyHost(p: PlannedHost, gate: MutationGate, emit: (e: ApplyEvent) => void, replaceSandbox: boolean): Promise<HostOutcome> {
  const { session } = p;
  const host = session.node.name;
  const ctx = { node: session.node, facts: session.facts };
  const t0 = performance.now();
  const { refused, changes, handlers } = batchOf(p, replaceSandbox);
  for (const r of refused) emit({ type: 'change-refused', host, id: r.id, reason: r.reason });
  const owedBefore = p.plan.pendingHandlers ?? [];
  if (changes.length === 0 && handlers.length === 0) {
    p.held?.release();
    return { host, status: 'unchanged', applied: 0, refused };
  }
  // Each change's step labels, as recorded: which of them a failure stopped at says whether the
  // failing change got past its first step (a unit's write) and so left work a handler must follow.
  const stepLabels = new Map<number, string[]>();
  const items: GateItem[] = changes.map((change, i) => {
    const resource = p.resources.get(change.id);
    if (!resource) throw new Error(`no resource for ${change.id}`);
    return {
      change,
      perform: async (recorder) => {
        const first = recorder.steps.length;
        await resource.apply(change as never, recorder, ctx);
        stepLabels.set(i, recorder.steps.slice(first).map((s) => s.label));
      },
    };
  });
  for (const name of handlers) {
    const handler = p.handlers.find((h) => h.name === name)!;
    const change: CommandChange = { kind: 'command', id: `handler ${name}`, action: 'run', command: handler.command, summary: `run handler ${name}`, fields: [] };
    // Not owed before: the batch skips it when every change that notifies it was skipped by its guard.
    const notifiedBy = owedBefore.includes(name) ? undefined : changes.flatMap((c, i) => (c.notify?.includes(name) ? [i] : []));
    items.push({ change, perform: (recorder) => recorder.run(handler.command, `handler ${name}`), ...(notifiedBy ? { notifiedBy } : {}) });
  }
  // A change skipped by its guard completed without changing anything: it owes no handler.
  // A change that failed past its first step counts as one that completed: see owedAfter.
  const owed = (completed: number, skipped: ReadonlySet<number>, failedPastFirstStep: boolean) =>
    owedAfter(
      handlers,
      owedBefore,
      changes.slice(0, Math.min(completed + (failedPastFirstStep ? 1 : 0), changes.length)).filter((_, i) => !skipped.has(i)),
      handlers.slice(0, Math.max(0, completed - changes.length)),
    );
  let result;
  try {
    result = await gate.pass(session.transport, becomeFor(session.node, session.transport), items, p.held, p.heldShell);
  } catch (err) {
    if (err instanceof InterruptedError) {
      emit({ type: 'host-skipped', host, reason: 'interrupted before its changes started' });
      throw new HostApplyFailure({ host, status: 'skipped', applied: 0 });
    }
    // The summary's line names the host already.
    const failure = { step: 'connection', error: messageUnder(host, (err as Error).message) };
    emit({ type: 'host-failed', host, ...failure });
    // The connection may have failed after the batch was sent, with any of its changes done and
    // none of its handlers run, and no marker says which: every handler the batch would have run
    // stays owed. A handler run once too often is safe; one missed (an old agent left running) is not.
    throw new HostApplyFailure({ host, status: 'failed', applied: 0, failure, ...withPending(handlers) });
  }
  const completed = Math.min(result.applied, changes.length);
  const skippedAt = new Set((result.skipped ?? []).map((s) => s.index));
  const skipped = (result.skipped ?? []).filter((s) => s.index < changes.length).map((s) => ({ id: changes[s.index]!.id, reason: s.reason }));
  const applied = completed - skipped.length;
  // A skipped change's step never ran: it left nothing of its work.
  const started = changes.slice(0, result.failure ? completed + 1 : completed).filter((_, i) => !skippedAt.has(i)).map((c) => c.id);
  const withSkippedAndWarnings = { ...(skipped.length ? { skipped } : {}), ...(result.warnings ? { warnings: result.warnings } : {}) };
  if (result.failure) {
    const failure = { step: failedAt(result.failure.change, result.failure.step), error: result.failure.error, stderr: result.failure.stderr, ...(result.failure.stdout ? { stdout: tail(result.failure.stdout, 20) } : {}) };
    emit({ type: 'host-failed', host, ...failure });
    throw new HostApplyFailure({ host, status: 'failed', applied, failure, started, ...withSkippedAndWarnings, ...withPending(owed(result.applied, skippedAt, failedPastFirstStep(result.failure, changes[completed], stepLabels.get(completed)))) });
  }
  emit({ type: 'host-done', host, applied, ms: Math.round(performance.now() - t0) });
  // Every change skipped by its guard and no handler run: the host was already as wanted (Ansible's ok).
  const handlerRan = handlers.some((_, k) => !skippedAt.has(changes.length + k));
  const status = applied === 0 && !handlerRan && skipped.length > 0 ? 'unchanged' : 'applied';
  return { host, status, applied, started, ...withSkippedAndWarnings, ...(refused.length ? { refused } : {}) };
}

/**
 * What a host's batch is made of: the changes it makes, those it refuses (remote users' work runs
 * in the sandbox: a change that restarts it needs the operator's explicit word, --replace-sandbox),
 * and the handlers it may run: those of the changes it makes, and those a failed run left owed
 * (notified again or not: their notifier may be refused); not one only a refused change notifies,
 * since that change is not made.
 */
function batchOf(p: PlannedHost, replaceSandbox: boolean): { refused: Array<{ id: string; reason: string }>; changes: Change[]; handlers: string[] } {
  const refused = replaceSandbox ? [] : p.plan.changes.filter((c) => c.needsRestart).map((c) => ({ id: c.id, reason: c.needsRestart! }));
  const changes = p.plan.changes.filter((c) => !refused.some((r) => r.id === c.id));
  const owedBefore = p.plan.pendingHandlers ?? [];
  const handlers = p.plan.handlers.filter((name) => owedBefore.includes(name) || changes.some((c) => c.notify?.includes(name)));
  return { refused, changes, handlers };
}

/**
 * The handlers applyPlan's batch may run on the host, whatever becomes of it: what the state must
 * hold owed before the batch starts, so a run killed mid-batch (which records nothing) leaves
 * them owed (phases/owed-ahead.ts).
 */
export function handlersBatchMayRun(p: PlannedHost, replaceSandbox: boolean): string[] {
  return hostHasWork(p.plan) ? batchOf(p, replaceSandbox).handlers : [];
}

/**
 * The handlers a failed batch leaves owed, in the batch's order: each notified by a change that
 * completed (its work is in place, so the next plan will not notify it again) or owed before
 * (whichever change of this batch notified it too), and not among those that ran. The failing
 * change counts among the completed once it got past its first step: a unit whose new file landed
 * and whose `systemctl enable` then failed is planned again as an enable alone, which notifies
 * nothing, so its restart would be lost (the service would keep running the old definition); a
 * handler run once too often is safe. Not one only a change that failed at its first step (nothing
 * of it landed: it is planned again, notifying again), or one never reached, notified.
 */
function owedAfter(handlers: readonly string[], owedBefore: readonly string[], completed: readonly Change[], ran: readonly string[]): string[] {
  return handlers.filter((name) => !ran.includes(name) && (owedBefore.includes(name) || completed.some((c) => c.notify?.includes(name))));
}

/**
 * Whether the batch's failure stopped `change` (the one after those completed) at a step past its
 * first, by the failing step's label among those the change recorded. Unknown (no step named, a
 * label that is not the change's, a change with one step) counts as its first step.
 */
function failedPastFirstStep(failure: { change: string; step?: string }, change: Change | undefined, labels: readonly string[] | undefined): boolean {
  if (!change || failure.change !== change.id || failure.step === undefined || !labels) return false;
  return labels.indexOf(failure.step) > 0;
}

function withPending(names: readonly string[]): { pendingHandlers?: string[] } {
  return names.length ? { pendingHandlers: [...names] } : {};
}

/** Where a host's batch stopped, each thing said once: the change, and its step when the gate named one. */
export function failedAt(change: string, step: string | undefined): string {
  return step === undefined || step === change ? change : `${change}, step ${step}`;
}

/** The last `n` lines: enough to see why a command failed, without flooding the summary or the state. */
function tail(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}
