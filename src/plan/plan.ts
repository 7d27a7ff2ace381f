import type { InitialElection } from '../overlay/initial-election.js';
import type { Change } from './change.js';
import { isNote } from './change.js';

export const PLAN_FORMAT = 'gridops-plan/v1';

/** What one host needs. `error` is set when the host could not be planned (unreachable, planning error). */
export interface HostPlan {
  host: string;
  address: string;
  /** The playbooks planned on this host, as the plan names them (a built-in name or an absolute path). */
  playbooks: string[];
  changes: Change[];
  /** Things worth saying that change nothing (e.g. a module built into the kernel). */
  notes: Change[];
  /** Handlers notified by the changes or owed by an interrupted or failed run (`pendingHandlers`), in the order the playbooks define them; each runs once after the changes. */
  handlers: string[];
  /**
   * The command each of `handlers` runs, so that a saved plan pins what was reviewed: a handler's
   * `run:` edited since makes the plan stale (planFingerprint). Substituted from the topology like a
   * `command` change's, which the plan shows too; never a secret. Absent when no handler runs.
   */
  handlerCommands?: Record<string, string>;
  /**
   * Handlers an interrupted or failed run owes this host (HostState.pendingHandlers): notified by
   * changes that run completed (or, for a run that died mid-batch, may have) and not run since, whether a change of this plan notifies them again or not (that
   * change may be refused or fail: they run all the same). Also in `handlers`; each one no change
   * notifies is a run of its own in the plan's counts (owedOnly). Absent when none.
   */
  pendingHandlers?: string[];
  error?: { kind: 'unreachable' | 'planning'; message: string; hint?: string };
  /** The node's gridops is removed and the state forgets it (the topology dropped it, or `gridops reset`). */
  decommission?: boolean;
  /** A node `gridops reset` removes gridops from that the state has no record of (never applied): nothing of it to forget. */
  unrecorded?: boolean;
  /** Names the state still has for this host, which the topology renamed: not decommissioned, forgotten once it applied. */
  renamedFrom?: string[];
}

/** The whole plan: pure data, saved with `--out` and applied with `--plan`. Holds no secret. */
export interface Plan {
  format: typeof PLAN_FORMAT;
  createdAt: string;
  gridopsVersion: string;
  topology: { file: string; grid: string; sourceHash: string };
  /** Every playbook of the run: a built-in name or an absolute path, so the plan can be applied from any directory. */
  playbooks: string[];
  /** The plan was made with `--playbook` (ad-hoc work); apply runs those playbooks again instead of the grid's workflow. */
  adHocPlaybooks: boolean;
  hosts: HostPlan[];
  /**
   * The run's `--limit` selectors, when it had any: `apply --plan` works on the nodes the plan was
   * made for (a plan of node-01 alone is not stale because node-02 has changes of its own).
   */
  limit?: string[];
  /**
   * The plan was made with `--allow-older-gridops` (from a state a newer gridops wrote, going back
   * on purpose): `apply --plan` asks for the flag again rather than carry that consent silently
   * (check-saved-plan.ts). Absent when made without it.
   */
  allowOlderGridops?: true;
  /** When the run deploys or runs gridagent: the initial super peers and region peers, elected from facts. */
  election?: InitialElection;
  /** Sub-grids (`region/sub-grid`) whose running agents this plan restarts all, or most, at once; absent when none, or when the run restarts them batch by batch (agents-restart-in-batches.ts). */
  agentRestarts?: AgentRestartsAtOnce;
  /** Hosts whose grid work may swap past its memory cap: their cgroups ignore grid.slice's MemorySwapMax=0 (phases/swap-past-memory-cap.ts). No change; absent when none. */
  swapPastMemoryCap?: SwapPastMemoryCap;
  /**
   * The grid key differs from the one the last apply gave every running agent (phases/grid-key-since-apply.ts):
   * fingerprints only, no secret. No change by itself; absent when the key is the same, or unknown.
   */
  gridKeyChange?: GridKeyChange;
}

/** Fingerprints (secrets/grid-key-fingerprint.ts) of the grid key the last apply deployed, and of the key this run holds. */
export interface GridKeyChange {
  deployed: string;
  current: string;
}

/** Hosts with a memory cap for grid work where MemorySwapMax= has no effect, by reason (facts/memory-swap-max.ts). */
export interface SwapPastMemoryCap {
  /** The memory controller is on cgroup v1 (a v1 or hybrid node). */
  cgroupV1: string[];
  /** cgroup v2, but the kernel does not account swap. */
  noSwapAccounting: string[];
}

/** Sub-grids where a plain apply restarts every running agent (`every`) or most of them (`most`) in one batch. */
export interface AgentRestartsAtOnce {
  every: string[];
  most: string[];
}

export interface PlanCounts {
  create: number;
  update: number;
  delete: number;
  run: number;
  hostsWithChanges: number;
  hostsWithErrors: number;
}

export function countPlan(plan: Plan): PlanCounts {
  const counts: PlanCounts = { create: 0, update: 0, delete: 0, run: 0, hostsWithChanges: 0, hostsWithErrors: 0 };
  for (const h of plan.hosts) {
    if (h.error) counts.hostsWithErrors++;
    const real = h.changes.filter((c) => !isNote(c));
    const pending = owedOnly(h).length;
    if (real.length || pending) counts.hostsWithChanges++;
    for (const c of real) if (c.action !== 'none') counts[c.action]++;
    // A handler owed by a failed run that no change of this plan notifies is work no change accounts for.
    counts.run += pending;
  }
  return counts;
}

/** The owed handlers no change of the plan notifies again: each a run of its own, where a notified one is counted with its change. */
export function owedOnly(host: HostPlan): string[] {
  return (host.pendingHandlers ?? []).filter((name) => !host.changes.some((c) => !isNote(c) && c.notify?.includes(name)));
}

export function hasChanges(plan: Plan): boolean {
  const c = countPlan(plan);
  return c.create + c.update + c.delete + c.run > 0;
}

/** Whether applying the plan does anything on the host: a change, or a handler a failed run left pending. */
export function hostHasWork(host: HostPlan): boolean {
  return host.changes.length > 0 || host.handlers.length > 0;
}

/**
 * The part of a host's plan that must be identical for a saved plan to be applied: the changes
 * and what they would write (content hashes), not timestamps; and the handlers that run after
 * them, with their commands, which apply would otherwise take from the playbooks as they are then.
 */
export function planFingerprint(host: HostPlan): string {
  return JSON.stringify({ changes: host.changes.map((c) => ({ ...c, diff: undefined })), handlers: host.handlers.map((name) => [name, host.handlerCommands?.[name] ?? null]) });
}
