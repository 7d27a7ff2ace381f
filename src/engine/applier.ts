import { InterruptedError, RemoteCommandError } from '../errors/index.js';
import type { CommandChange } from '../plan/change.js';
import { fanOut } from '../transport/fan-out.js';
import type { ApplyEvent } from './gate.js';
import { MutationGate } from './gate.js';
import type { PlannedHost } from './planner.js';

export interface HostOutcome {
  host: string;
  status: 'applied' | 'unchanged' | 'failed' | 'skipped';
  applied: number;
  /** The failing change and the remote stderr, for the summary. */
  failure?: { step: string; error: string; stderr?: string };
}

/**
 * Applies exactly the planned changes, host by host in parallel (bounded), each host's changes
 * in plan order, every one through the gate. A failing host stops at its failing step and the
 * others go on, unless `failFast`. Notified handlers run once per host after its changes.
 */
export async function applyPlan(
  planned: readonly PlannedHost[],
  options: { concurrency: number; failFast: boolean; signal?: AbortSignal; emit: (e: ApplyEvent) => void },
): Promise<HostOutcome[]> {
  const gate = new MutationGate(options.emit, options.signal);
  const outcomes = await fanOut(
    planned.filter((p) => p.plan.changes.length > 0),
    (p) => p.session.node.name,
    async (p) => applyHost(p, gate, options.emit),
    { concurrency: options.concurrency, failFast: options.failFast, signal: options.signal },
  );
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
    super(outcome.failure?.error ?? outcome.status);
  }
}

async function applyHost(p: PlannedHost, gate: MutationGate, emit: (e: ApplyEvent) => void): Promise<HostOutcome> {
  const { session, plan } = p;
  const host = session.node.name;
  const become = session.node.settings.ssh.become;
  const ctx = { node: session.node, facts: session.facts };
  const t0 = performance.now();
  let applied = 0;
  let current = '';
  try {
    for (const change of plan.changes) {
      current = change.id;
      const resource = p.resources.get(change.id);
      if (!resource) throw new Error(`no resource for ${change.id}`);
      await gate.pass(session.transport, become, change, (writer) => resource.apply(change as never, writer, ctx));
      applied++;
    }
    for (const name of plan.handlers) {
      current = `handler ${name}`;
      const handler = p.handlers.find((h) => h.name === name)!;
      const change: CommandChange = { kind: 'command', id: `handler ${name}`, action: 'run', command: handler.command, summary: `run handler ${name}`, fields: [] };
      await gate.pass(session.transport, become, change, async (writer) => void (await writer.run(handler.command, `handler ${name}`)));
    }
  } catch (err) {
    const failure = { step: current, error: (err as Error).message, ...(err instanceof RemoteCommandError ? { stderr: err.stderr } : {}) };
    if (err instanceof InterruptedError) {
      emit({ type: 'host-skipped', host, reason: `interrupted after ${applied} of ${plan.changes.length} changes` });
      throw new HostApplyFailure({ host, status: 'skipped', applied, failure });
    }
    emit({ type: 'host-failed', host, ...failure });
    throw new HostApplyFailure({ host, status: 'failed', applied, failure });
  }
  emit({ type: 'host-done', host, applied, ms: Math.round(performance.now() - t0) });
  return { host, status: 'applied', applied };
}
