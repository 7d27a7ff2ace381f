import { refuseAdHocAgentRename } from './ad-hoc-agent-rename.js';
import { applyInBatches } from './apply-in-batches.js';
import { applyOutcome, type ApplyResult } from './apply-outcome.js';
import { askAgentsBeforeRolling } from './ask-agents-before-rolling.js';
import { checkChangedHosts } from './changed-host.js';
import { checkSavedPlan, checkSavedPlanFlags, checkSavedPlanTopology } from './check-saved-plan.js';
import { checkGridKeyWholeGrid } from './check-grid-key-whole-grid.js';
import { checkRolling } from './check-rolling.js';
import { checkRollingBudget } from './check-rolling-budget.js';
import { checkSite } from './check-site.js';
import { confirm } from './confirm.js';
import { connectAndRead } from './connect-and-read.js';
import { disconnect } from './disconnect.js';
import { findRemovedNodes } from './find-removed-nodes.js';
import { findRenamedGridNetworks } from './renamed-grid-network.js';
import { lockState } from './lock-state.js';
import { checkMovedNodes } from './moved-node.js';
import { checkNoNewerGridops } from './newer-gridops-state.js';
import { runPhases } from './manager.js';
import { checkStateFound } from './state-not-found.js';
import type { Phase } from './phase.js';
import { planChanges } from './plan-changes.js';
import { recordState } from './record-state.js';
import { RunContext } from './run-context.js';
import type { ApplyOptions } from './run-options.js';
import { validateTopology } from './validate-topology.js';
import { verifyOverlay } from './verify-overlay.js';

/** `gridops apply`, the whole workflow (DESIGN "gridops apply, in phases"): read it top to bottom. */
export const APPLY_PHASES: readonly Phase[] = [
  // Before the topology is read: another --playbook or --limit beside a saved plan is a usage error, whatever else is wrong.
  checkSavedPlanFlags,
  validateTopology,
  // As soon as the topology is read: a plan of another grid, or of the topology before an edit, needs no host to be refused.
  checkSavedPlanTopology,
  // Before the first phase that reads the state (RunContext.recordedState): record-state then merges into that one read.
  lockState,
  // First of the state's readers: nothing is planned from records a newer gridops wrote (unless --allow-older-gridops).
  checkNoNewerGridops('apply'),
  findRemovedNodes,
  // Once the renames are known, so a node renamed and moved is refused too; nothing has changed yet.
  checkMovedNodes,
  // A --playbook run finds no renames to hand the agent's leave to: one that would rename an agent is refused, nothing changed yet.
  refuseAdHocAgentRename,
  // Likewise a node kept under its name at another host (or a rename beside a new node of the old name).
  checkChangedHosts,
  findRenamedGridNetworks,
  connectAndRead,
  planChanges,
  checkSavedPlan,
  // Before the key's other checks: a grid whose agents the state does not know is refused a new key whole or in part.
  checkStateFound,
  checkSite,
  checkRolling,
  // After check-site, which refuses a --site run that changes existing hosts it would not apply, and
  // check-rolling, which refuses any new key for --rolling (with --limit too, naming its hosts).
  checkGridKeyWholeGrid,
  checkRollingBudget,
  // Last of the checks, the only one that waits (up to rollout.healthTimeout): every refusal comes before the question.
  askAgentsBeforeRolling,
  confirm,
  applyInBatches,
  verifyOverlay,
  recordState,
  disconnect,
];

/** Runs APPLY_PHASES; the typed result, or an error carrying it when hosts failed or the overlay did not converge. */
export async function runApply(options: ApplyOptions, onPhase?: (title: string) => void): Promise<ApplyResult> {
  const ctx = new RunContext(options);
  await runPhases(APPLY_PHASES, ctx, onPhase);
  return applyOutcome(ctx);
}
