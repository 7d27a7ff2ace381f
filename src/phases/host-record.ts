import type { HostOutcome } from '../engine/applier.js';
import type { PlannedHost } from '../engine/planner.js';
import { stderrTail } from '../errors/index.js';
import { recordedEntries } from '../playbooks/retired-entries.js';
import { recordedKernel, sweepsOf } from '../playbooks/retired-kernel.js';
import type { HostState } from '../state/state.js';
import type { BootstrapElectorate } from '../templates/bootstrap-electorate.js';
import type { Node } from '../topology/model.js';
import { SSH_TARGET_KEYS, writtenByTopology } from '../transport/ssh-config.js';
import { GRIDOPS_VERSION } from '../version.js';
import { agentVersionAfterRun } from './agent-deployed.js';
import { pendingHandlersAfter } from './pending-handlers.js';
import { AGENT_RENAME_PLAYBOOK } from './renamed-agent.js';
import { GRID_NETWORK_RENAME_CHANGE, GRID_NETWORK_RENAME_PLAYBOOK } from './renamed-grid-network.js';
import { HYPERVISOR_OFF_PLAYBOOK, sandboxMadeRecord } from './retired-hypervisor.js';
import type { RunContext } from './run-context.js';
import { gridPlaybooks } from './workflow-playbooks.js';

/**
 * The record of one host after a run with `outcome` there, over its `previous` one: what record the
 * state keeps, and what a write ahead of a batch keeps for a host it has no record of yet, should the
 * run die in that batch (owed-ahead.ts). `defined`: as for pendingHandlersAfter.
 */
export function hostRecord(ctx: RunContext, p: PlannedHost, outcome: HostOutcome, previous: HostState | undefined, now: string, defined: readonly string[] | undefined): HostState {
  const ok = outcome.status === 'applied' || outcome.status === 'unchanged';
  const { node } = p.session;
  const started = outcome.started ?? [];
  // The kernel lists keep what a sweep that did not run here still has to remove (retired-kernel.ts).
  const swept = ok ? sweepsOf(ctx.workflow.byNode.get(outcome.host) ?? [], node.settings) : { sysctl: false, modules: false };
  const settings = { ...node.settings, kernel: recordedKernel(previous?.node?.settings?.kernel, node.settings.kernel, swept) };
  const kernelEntries = recordedEntries(previous?.kernelEntries, p.kernelEntries, { ok, workflowRun: !ctx.workflow.adHoc, workflowRefs: new Set(gridPlaybooks(ctx.grid, node)) });
  return {
    node: { address: node.address, region: node.region, subgrid: node.subgrid, user: node.settings.ssh.user, port: node.settings.ssh.port, settings, sshWritten: sshWritten(node) },
    ...(Object.keys(kernelEntries).length ? { kernelEntries } : {}),
    ...electorateRecord(previous?.electorate, p.bootstrap, ok || started.length > 0),
    // A change refused (a sandbox restart without --replace-sandbox) leaves the host short of this
    // topology: it keeps the topology it last fully had, so status does not call it in sync.
    topologyHash: ok && !outcome.refused?.length ? ctx.grid.sourceHash : previous?.topologyHash ?? '',
    // The rename's leave, the hypervisor's removal and the old network's run once (renamed-agent.ts, retired-hypervisor.ts, renamed-grid-network.ts): what the host runs is its workflow without them.
    playbooks: ok ? p.plan.playbooks.filter((ref) => ref !== AGENT_RENAME_PLAYBOOK && ref !== HYPERVISOR_OFF_PLAYBOOK && ref !== GRID_NETWORK_RENAME_PLAYBOOK) : previous?.playbooks ?? [],
    // The gridops that last worked on the host: a run that skipped it (reached none of its changes)
    // leaves it the one before, so an older gridops is not refused over a host a newer one never
    // touched (newer-gridops-state.ts). A failed run counts as having worked there: a batch whose
    // connection dropped fails with none of its changes counted, some of them perhaps done.
    gridopsVersion: outcome.status === 'skipped' ? previous?.gridopsVersion ?? GRIDOPS_VERSION : GRIDOPS_VERSION,
    agentVersion: agentVersionAfterRun(p, outcome),
    ...sandboxMadeRecord({ done: ok && !outcome.refused?.length, ran: p.plan.playbooks, started: p.plan.changes.filter((c) => started.includes(c.id)), oldNetwork: oldNetworkLeft(p.plan.changes, started, outcome) ? ctx.networkRenames.get(outcome.host)?.from : undefined }, node, previous),
    ...pendingHandlersAfter(outcome, p.plan, previous, defined),
    appliedAt: ok ? now : previous?.appliedAt ?? '',
    changesApplied: outcome.applied,
    lastOutcome: outcome.status,
    lastRunAt: now,
    ...(outcome.failure ? { lastError: lastError(outcome.failure) } : {}),
  };
}

/**
 * The first-bootstrap electorates the state keeps for a host (state/group-births.ts): the ones it
 * had, since its bootstrap file is create-only, else the ones rendered for it in a run that did
 * work on it (`worked`: it may have written the file before it failed). Recording one that was not
 * written is harmless: it is the list every later node of that birth gets anyway.
 */
function electorateRecord(previous: HostState['electorate'], rendered: BootstrapElectorate | undefined, worked: boolean): { electorate?: NonNullable<HostState['electorate']> } {
  if (previous) return { electorate: previous };
  if (!worked || (!rendered?.subgrid && !rendered?.region)) return {};
  return { electorate: { ...(rendered.subgrid ? { subgrid: rendered.subgrid } : {}), ...(rendered.region ? { region: rendered.region } : {}) } };
}

/**
 * Whether the old grid network of a renamed one may still be on the host: its removal was planned
 * (grid-network-rename) and did not complete (refused, failed, or not reached), so the state keeps
 * naming the old network until it is gone.
 */
function oldNetworkLeft(planned: readonly { id: string }[], started: readonly string[], outcome: HostOutcome): boolean {
  if (!planned.some((c) => c.id === GRID_NETWORK_RENAME_CHANGE)) return false;
  const completed = outcome.failure ? started.slice(0, -1) : started;
  return !completed.includes(GRID_NETWORK_RENAME_CHANGE);
}

/**
 * A failure as the state keeps it, on one line: where (`command boom`), how (`exit 1`), and the last
 * lines of the step's stderr, which the run's own report showed under it.
 */
export function lastError(failure: NonNullable<HostOutcome['failure']>): string {
  return `${failure.step}: ${failure.error}${failure.stderr?.trim() ? `: ${stderrTail(failure.stderr)}` : ''}`;
}

/**
 * The SSH settings whose value the topology wrote (connectionTarget's rule, and `become`, which
 * otherwise follows the login user: engine/become.ts), kept so a decommission reaches the host
 * and runs its reset the same way.
 */
function sshWritten(node: Node): string[] {
  const become = node.origins['ssh.become'];
  return [...SSH_TARGET_KEYS.filter((key) => writtenByTopology(node, key)), ...(become !== undefined && become !== 'built-in' ? ['become'] : [])];
}
