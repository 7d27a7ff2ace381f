import type { Plan } from '../plan/plan.js';
import { checkChangedHosts } from './changed-host.js';
import { connectAndReadOnly } from './connect-and-read.js';
import { disconnect } from './disconnect.js';
import { refuseAdHocAgentRename } from './ad-hoc-agent-rename.js';
import { findRemovedNodes } from './find-removed-nodes.js';
import { findRenamedGridNetworks } from './renamed-grid-network.js';
import { runPhases } from './manager.js';
import { checkMovedNodes } from './moved-node.js';
import { checkNoNewerGridops } from './newer-gridops-state.js';
import type { Phase } from './phase.js';
import { planChanges } from './plan-changes.js';
import { RunContext } from './run-context.js';
import type { RunOptions } from './run-options.js';
import { validateTopology } from './validate-topology.js';

/** `gridops plan`: apply's first phases, read-only (no lock: it changes nothing). */
export const PLAN_PHASES: readonly Phase[] = [validateTopology, checkNoNewerGridops('plan'), findRemovedNodes, checkMovedNodes, refuseAdHocAgentRename, checkChangedHosts, findRenamedGridNetworks, connectAndReadOnly, planChanges, disconnect];

export async function runPlan(options: RunOptions, onPhase?: (title: string) => void): Promise<Plan> {
  const ctx = new RunContext(options);
  await runPhases(PLAN_PHASES, ctx, onPhase);
  return ctx.plan;
}
