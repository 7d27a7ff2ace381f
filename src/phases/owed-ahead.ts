import { handlersBatchMayRun, type HostOutcome } from '../engine/applier.js';
import type { PlannedHost } from '../engine/planner.js';
import { readState, writeState, type GridState, type HostState } from '../state/state.js';
import { hostRecord } from './host-record.js';
import { pendingHandlersAfter } from './pending-handlers.js';
import { recordOf } from './renamed-node.js';
import type { RunContext } from './run-context.js';

/**
 * Writes the state ahead of a batch: every host of it whose batch may run a handler owes those
 * handlers (HostState.pendingHandlers) before any of its changes is made. A run that dies mid-batch
 * (SIGKILL, power loss, the second Ctrl-C) records no outcome, and a change it made (a config
 * written) is in sync for the next plan, which would never run the handler it notified (the old
 * agent left running for good). Owed, the next plan runs it. The run's own record at its end
 * replaces these with the outcome (record-state.ts): a handler run once too often is safe; one
 * missed is not.
 *
 * One write for the batch, whatever its size, and none when no host of it may run a handler (a
 * no-change run never comes here). The hosts of earlier batches, done but not yet recorded, owe
 * what their outcome leaves owed. A host with a record owes the handlers besides it, the rest of its
 * record left as the last run wrote it; a host with none (a first apply, a renamed node) gets the
 * record record-state would write: for a host of an earlier batch, its outcome's, whether or not it
 * owes a handler; for one of this batch, a failed run's that may have made all its changes.
 */
export async function recordOwedAhead(ctx: RunContext, batch: readonly PlannedHost[], done: readonly HostOutcome[]): Promise<void> {
  const owing = batch.map((p) => ({ p, handlers: handlersBatchMayRun(p, ctx.options.replaceSandbox ?? false) })).filter((o) => o.handlers.length > 0);
  if (owing.length === 0) return;
  // Built from the run's one read, as record-state's record is, while it stands for the file: this
  // run's earlier writes ahead are then made again from it, so a host done since owes no more.
  const stands = await ctx.recordedStateStillStands();
  const recorded = await ctx.recordedState();
  const state: GridState = stands ? { ...structuredClone(recorded), serial: ctx.stateSerialWrittenAhead ?? recorded.serial } : await readState(ctx.paths.state, ctx.grid.name);
  const now = new Date().toISOString();
  const owe = (p: PlannedHost, outcome: HostOutcome, owed: readonly string[]) => {
    const host = p.session.node.name;
    const kept = state.hosts[host];
    if (kept) state.hosts[host] = withOwed(kept, owed);
    // Owing a handler or not: a new node an earlier batch applied, left out, would be unknown to
    // the state after a kill (never decommissioned should the topology drop it, its agent forgotten).
    else if (outcome.status !== 'skipped') {
      state.hosts[host] = hostRecord(ctx, p, outcome, recordOf(state, host, ctx.renamed), now, undefined);
      // As record-state does: a renamed node's old name goes once its host applied, or the next run's rename check would find the new name settled.
      if (outcome.status === 'applied' || outcome.status === 'unchanged') for (const [from, to] of ctx.renamed) if (to === host) delete state.hosts[from];
    }
  };
  for (const outcome of done) {
    const p = ctx.planned.find((x) => x.session.node.name === outcome.host);
    if (!p) continue;
    // As record-state will judge it: a renamed node's owed handlers are those of its old name's record.
    const owed = pendingHandlersAfter(outcome, p.plan, recordOf(state, outcome.host, ctx.renamed)).pendingHandlers ?? [];
    owe(p, outcome, owed);
  }
  for (const { p, handlers } of owing) {
    const kept = state.hosts[p.session.node.name];
    owe(p, diedIn(p, handlers), [...new Set([...(kept?.pendingHandlers ?? []), ...handlers])]);
  }
  await writeState(ctx.paths.state, state);
  if (stands) await ctx.wroteStateAhead(state.serial + 1);
}

/** `record` owing `owed` (none: the field goes), the rest of it as it is. */
function withOwed(record: HostState, owed: readonly string[]): HostState {
  const { pendingHandlers: _before, ...rest } = record;
  return owed.length ? { ...rest, pendingHandlers: [...owed] } : rest;
}

/**
 * The outcome of a batch the run died in, as the state must assume it: failed, with any of its
 * changes made (the sandbox's objects, the bootstrap file) and every handler it may run owed.
 */
function diedIn(p: PlannedHost, handlers: readonly string[]): HostOutcome {
  return {
    host: p.session.node.name,
    status: 'failed',
    applied: 0,
    started: p.plan.changes.map((c) => c.id),
    pendingHandlers: [...handlers],
    failure: { step: 'the run', error: "ended before it recorded this host's outcome (killed, or the machine went down?)" },
  };
}
