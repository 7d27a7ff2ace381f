import { electedGroups, stillRunning, withElections } from '../state/elected-groups.js';
import { readState, writeState } from '../state/state.js';
import { unchangedOutcomes } from './apply-in-batches.js';
import { gridKeyFingerprintToRecord } from './grid-key-fingerprint-to-record.js';
import { hostRecord, lastError } from './host-record.js';
import { owedHandlersNoPlaybookDefines } from './pending-handlers.js';
import type { Phase } from './phase.js';
import { recordOf } from './renamed-node.js';

/**
 * DESIGN step 8: what each host got, which playbooks it ran, the overlay the agents agreed on, and
 * the fingerprint of the grid key every running agent got.
 * A host whose apply failed keeps its last good record, so `status` does not call it in sync; a
 * host the run skipped that had none gets none.
 */
export const recordState: Phase = {
  title: 'record the state',
  async run(ctx) {
    if (!ctx.outcomes.length) ctx.outcomes = unchangedOutcomes(ctx);
    // Merged into what the file holds now: the run's one read where it still stands for the file
    // (read under this run's lock, which every writer of the state takes, and the file unchanged
    // since), copied since it is shared and frozen; else the file is read again here.
    // Owed handlers this run wrote ahead of its batches (owed-ahead.ts) are not merged into: the
    // outcome replaces them. It counts on from their write's serial.
    const state = (await ctx.recordedStateStillStands()) ? { ...structuredClone(await ctx.recordedState()), serial: ctx.stateSerialWrittenAhead ?? (await ctx.recordedState()).serial } : await readState(ctx.paths.state, ctx.grid.name);
    // Pruned as read (electedGroups): a group whose nodes were all forgotten (`state rm`) and one of them applied since is being born again.
    const elected = electedGroups(state);
    if (ctx.overlay) state.overlay = ctx.overlay;
    const now = new Date().toISOString();
    for (const outcome of ctx.outcomes) {
      const p = ctx.planned.find((x) => x.session.node.name === outcome.host)!;
      const previous = recordOf(state, outcome.host, ctx.renamed);
      const ok = outcome.status === 'applied' || outcome.status === 'unchanged';
      // A node whose gridops was removed (decommission, reset) is forgotten; one that failed stays
      // known, to be retried, with its last record and this run's outcome (review N2).
      if (ctx.removing.has(outcome.host)) {
        const kept = state.hosts[outcome.host];
        if (ok) delete state.hosts[outcome.host];
        else if (kept) {
          const { lastError: _older, ...rest } = kept;
          state.hosts[outcome.host] = { ...rest, changesApplied: outcome.applied, lastOutcome: outcome.status, lastRunAt: now, ...(outcome.failure ? { lastError: lastError(outcome.failure) } : {}) };
        }
        continue;
      }
      // Skipped before it started (Ctrl-C, --fail-fast, a later rolling batch) and never applied
      // before: gridops has not touched it, so there is nothing to record, nor to decommission should
      // the topology drop it (as a host not reached). A failed run started: it is recorded.
      if (outcome.status === 'skipped' && !previous) continue;
      // Only the whole workflow knows every handler the host's playbooks define; a `--playbook` run keeps what it does not run.
      const defined = ctx.workflow.adHoc ? undefined : [...new Set(p.handlers.map((h) => h.name))];
      if (defined) for (const name of owedHandlersNoPlaybookDefines(previous, defined)) ctx.warn(`${outcome.host} owed handler "${name}" from an interrupted or failed run, which no playbook of its workflow defines any more: forgotten`);
      state.hosts[outcome.host] = hostRecord(ctx, p, outcome, previous, now, defined);
      // A renamed node's old name is forgotten once its host applied; kept after a failure, so the next run sees the rename again.
      if (ok) for (const [from, to] of ctx.renamed) if (to === outcome.host) delete state.hosts[from];
    }
    state.elected = stillRunning(withElections(elected, ctx.overlay), state);
    // In this one write: a no-change apply writes the state anyway, and records an older state's first fingerprint.
    const keyFingerprint = gridKeyFingerprintToRecord(ctx, state);
    if (keyFingerprint) state.gridKeyFingerprint = keyFingerprint;
    else delete state.gridKeyFingerprint;
    await writeState(ctx.paths.state, state);
  },
};
