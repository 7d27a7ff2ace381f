import type { PlannedHost } from '../engine/planner.js';
import { hasAllFacts } from '../facts/host-facts.js';
import { whyMemorySwapMaxIgnored } from '../facts/memory-swap-max.js';
import type { SwapPastMemoryCap } from '../plan/plan.js';

/** The built-in playbook that writes grid.slice, with its `MemorySwapMax=0` under a memory cap (and on a cgroup v2 hypervisor node). */
const QOS_PLAYBOOK = 'qos';

/**
 * The hosts whose grid work may swap past its memory cap: the run writes their grid.slice
 * (playbook qos) with `qos.gridMemoryMiB`, and so `MemorySwapMax=0`, which their cgroups ignore
 * (whyMemorySwapMaxIgnored). A setting accepted and silently ignored is said, once for the run;
 * it changes nothing, so it is no change of the plan. Hosts being removed are left out, and so are
 * hypervisor nodes without a cap, whose `MemorySwapMax=0` is there for the sandbox VM alone (templates/render.ts):
 * grid work has no cap there to swap past, and the VM's plan says where its swap is not capped.
 */
export function swapPastMemoryCap(planned: readonly PlannedHost[], removing: ReadonlySet<string>): SwapPastMemoryCap | undefined {
  const found: SwapPastMemoryCap = { cgroupV1: [], noSwapAccounting: [] };
  for (const { session, plan } of planned) {
    const { node, facts } = session;
    if (removing.has(node.name) || !plan.playbooks.includes(QOS_PLAYBOOK) || node.settings.qos.gridMemoryMiB === undefined) continue;
    // A read of the agent's version alone has no cgroup facts; the qos playbook's template reads the others, so its hosts have them.
    if (!hasAllFacts(facts)) continue;
    const why = whyMemorySwapMaxIgnored(facts);
    if (why === 'cgroup-v1') found.cgroupV1.push(node.name);
    else if (why === 'no-swap-accounting') found.noSwapAccounting.push(node.name);
  }
  return found.cgroupV1.length || found.noSwapAccounting.length ? found : undefined;
}
