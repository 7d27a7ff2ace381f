import { loadPlaybook } from '../playbooks/load.js';
import { applyInBatches } from './apply-in-batches.js';
import { applyOutcome, type ApplyResult } from './apply-outcome.js';
import { checkChangedHosts } from './changed-host.js';
import { confirm } from './confirm.js';
import { connectAndRead } from './connect-and-read.js';
import { disconnect } from './disconnect.js';
import { RESET_PLAYBOOK } from './find-removed-nodes.js';
import { lockState } from './lock-state.js';
import { checkNoNewerGridops } from './newer-gridops-state.js';
import { runPhases } from './manager.js';
import type { Phase } from './phase.js';
import { planChanges } from './plan-changes.js';
import { recordState } from './record-state.js';
import { resetOnMadeNetwork } from './retired-hypervisor.js';
import { RunContext } from './run-context.js';
import type { ApplyOptions } from './run-options.js';
import { validateTopology } from './validate-topology.js';

/** Every chosen node (the grid, or `--limit`) runs the reset playbook and is forgotten once clean. */
const chooseNodesToReset: Phase = {
  title: 'choose the nodes to reset',
  async run(ctx) {
    const reset = loadPlaybook(RESET_PLAYBOOK);
    const state = await ctx.recordedState();
    ctx.workflow = { byNode: new Map(ctx.nodes.map((n) => [n.name, [resetOnMadeNetwork(reset, state.hosts[n.name])]])), refs: [RESET_PLAYBOOK], adHoc: true };
    for (const n of ctx.nodes) ctx.removing.add(n.name);
  },
};

/** `gridops reset` (k0sctl's reset): remove everything gridops installed on the chosen nodes, after asking. Idempotent. */
// The lock before the choice: it reads the state (the network each node's sandbox was made on), which an apply may be recording.
// A state a newer gridops wrote is refused first (newer-gridops-state.ts): that one may have installed what this one's reset leaves behind.
// A node whose agent ran on another host than its topology address is refused before any connection, as apply and plan refuse it.
export const RESET_PHASES: readonly Phase[] = [validateTopology, lockState, checkNoNewerGridops('reset'), checkChangedHosts, chooseNodesToReset, connectAndRead, planChanges, confirm, applyInBatches, recordState, disconnect];

export async function runReset(options: Omit<ApplyOptions, 'playbooks' | 'rolling' | 'verify' | 'site'>, onPhase?: (title: string) => void): Promise<ApplyResult> {
  const ctx = new RunContext({ ...options, playbooks: [RESET_PLAYBOOK], verify: false, command: 'reset' });
  await runPhases(RESET_PHASES, ctx, onPhase);
  return applyOutcome(ctx);
}
