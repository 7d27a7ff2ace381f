import { REJOIN_STEPS } from '../overlay/agent-view.js';
import { sh } from '../transport/quote.js';
import { compareVersions } from '../version-order.js';
import { overlayConverged, type GridStatus } from './grid-status.js';
import { newerGridopsAdvice } from './newer-gridops-advice.js';
import { runFlagWords } from '../plan/plan-command.js';

/** One reason `status` exits 1, with what to do about it. */
export interface StatusFailure {
  message: string;
  hint: string;
}

/**
 * Why `status` exits 1 (none: exit 0). Always: a node that cannot be reached. `--wait`: the
 * overlay had not converged when the wait ran out. `--strict`, for monitoring that wants one exit
 * code for "the grid is as the topology says": also a node not in sync (state/expected-in-sync.ts), an
 * overlay that has not converged, a first election that waits for nodes where no agent runs yet
 * (which `--wait` does not wait for: GridStatus.firstElectionWaits), and a sandbox VM that is not
 * running or whose state cannot be read. Without `--wait` the overlay is judged from one answer of each agent, which an election
 * under way fails: monitoring passes `--wait 10s` with `--strict`.
 */
export function statusFailures(status: GridStatus, flags: { strict: boolean; waited: boolean }, run: { file: string; stateDir?: string; askBecomePass?: boolean; json?: boolean }): StatusFailure[] {
  // The commands to run next, with this run's file, state directory and --ask-become-pass, quoted to paste.
  const gridops = (verb: string) => `\`${sh(['gridops', verb, run.file, ...runFlagWords(run)])}\``;
  // --json prints no table: the hints point at the fields of its nodes instead.
  const whyUnreachable = run.json ? "each node's `error` says why" : 'the table above says why for each';
  const agentViews = run.json ? "each node's `agent` gives its agent's view" : "the table above gives each agent's view";
  const failures: StatusFailure[] = [];
  const unreachable = status.nodes.filter((n) => !n.reachable).map((n) => n.node);
  if (unreachable.length) failures.push({ message: `unreachable: ${unreachable.join(', ')}`, hint: `${whyUnreachable}; check that the host is up and sshd listens on its port` });
  if ((flags.waited || flags.strict) && !overlayConverged(status)) {
    // An agent that left stays idle through any apply (its leave's marker): only a rejoin on the node brings it back.
    const left = status.nodes.filter((n) => n.agent?.role === 'left').map((n) => n.node);
    const rejoin = left.length ? `; ${left.join(', ')} left the grid: ${REJOIN_STEPS} (apply cannot: the marker the leave wrote keeps the agent idle)` : '';
    failures.push({ message: `the overlay has not converged${waitingFor(status)}`, hint: `${flags.waited ? `${agentViews}; a node whose agent does not answer needs ${gridops('apply')}` : 'an election may be under way: `--wait 10s` waits for the agents to agree'}${rejoin}` });
  }
  if (flags.waited || flags.strict) {
    // Convergence is judged over the agents that answer: a sub-grid where none runs has none to judge, yet no super peer either.
    for (const group of subgridsWithoutAgent(status)) failures.push({ message: `no agent runs in sub-grid ${group}: no super peer can be elected there`, hint: `${gridops('apply')} deploys the agents` });
  }
  if (!flags.strict) return failures;
  // Not waited for (no time can help), but not as the topology wants either: its other nodes need their agents.
  const unborn = Object.entries(status.firstElectionWaits ?? {}).map(([group, text]) => `${group}: ${text}`);
  if (unborn.length) failures.push({ message: `no first election yet: ${unborn.join('; ')}`, hint: `${gridops('apply')} deploys the agents it waits for` });
  failures.push(...notInSyncFailures(status, gridops));
  // The state says the node is in sync, but the agent it records is gone or replaced behind gridops' back.
  const agentDrifted = status.nodes
    .filter((n) => n.reachable && n.agentExpected && (n.agentVersion === null || (n.agentExpected.recordedVersion !== null && n.agentVersion !== n.agentExpected.recordedVersion)))
    .map((n) => `${n.node} (${n.agentVersion === null ? 'not installed' : `${n.agentVersion} installed`}; the state records ${n.agentExpected!.recordedVersion ?? 'none'})`);
  if (agentDrifted.length) failures.push({ message: `agent not as last applied: ${agentDrifted.join(', ')}`, hint: `something removed or replaced gridagent since the last apply: ${gridops('apply')} deploys it again` });
  const sandboxes = status.nodes.filter((n) => n.sandbox);
  const unread = sandboxes.filter((n) => n.sandbox!.state.startsWith('unknown')).map((n) => `${n.node} (${n.sandbox!.state})`);
  if (unread.length) failures.push({ message: `cannot read the sandbox VM's state: ${unread.join(', ')}`, hint: 'check `virsh dominfo` on the node as the SSH user (with become, sudo must not ask for a password)' });
  const stopped = sandboxes.filter((n) => n.sandbox!.state !== 'running' && !n.sandbox!.state.startsWith('unknown')).map((n) => `${n.node} (${n.sandbox!.state})`);
  if (stopped.length) failures.push({ message: `sandbox VM not running: ${stopped.join(', ')}`, hint: `${gridops('apply')} defines and starts it` });
  return failures;
}

/**
 * `--strict`'s failures for reachable nodes not in sync, one per kind of advice: a plan and an apply
 * for most; an apply with this gridops where an older one applied (the plan may show nothing: what
 * changed is gridops' own); and for a node a newer gridops applied, that gridops, never this one's
 * apply, which would deploy its older agent over the newer one.
 */
function notInSyncFailures(status: GridStatus, gridops: (verb: string) => string): StatusFailure[] {
  // Each kind of advice's nodes, named with their state, and the newest gridops that applied any.
  const other: string[] = [];
  const older: string[] = [];
  const newer: string[] = [];
  let newest: string | undefined;
  for (const n of status.nodes) {
    if (!n.reachable || n.applied === 'in-sync') continue;
    const named = `${n.node} (${n.applied})`;
    if (n.applied === 'older-gridops') older.push(named);
    else if (n.applied !== 'newer-gridops') other.push(named);
    else {
      newer.push(named);
      // Recorded versions judged newer are semvers (compareVersions ordered them), so safe to print.
      if (newest === undefined || compareVersions(n.appliedWithGridops!, newest) === 1) newest = n.appliedWithGridops!;
    }
  }
  const failures: StatusFailure[] = [];
  if (other.length) failures.push({ message: `not in sync: ${other.join(', ')}`, hint: `${gridops('plan')} shows what differs, ${gridops('apply')} applies it (a change that restarts or removes a sandbox VM only with --replace-sandbox)` });
  if (older.length) failures.push({ message: `not in sync: ${older.join(', ')}`, hint: `run ${gridops('apply')} with this gridops, which records it` });
  if (newest !== undefined) failures.push({ message: `not in sync: ${newer.join(', ')}`, hint: `${newerGridopsAdvice(newest)}, not with this one (its apply would deploy its older agent)` });
  return failures;
}

/**
 * The sub-grids (REGION/SUB-GRID) where nodes the state says ran the agent were reached and none of
 * them runs one. A sub-grid not deployed yet is not one (`--strict` fails its nodes as never
 * applied); one none of whose nodes was reached is left to the unreachable failure.
 */
function subgridsWithoutAgent(status: GridStatus): string[] {
  const reached = new Map<string, boolean>();
  for (const n of status.nodes.filter((x) => x.reachable && x.agentExpected)) {
    const group = `${n.region}/${n.subgrid}`;
    reached.set(group, (reached.get(group) ?? false) || n.agentVersion !== null);
  }
  return [...reached].filter(([, anyAgent]) => !anyAgent).map(([group]) => group);
}

/** The first few of what convergence waits for (overlay/convergence.ts), after a colon. */
function waitingFor(status: GridStatus): string {
  const lines = status.overlay?.waitingFor ?? [];
  if (lines.length === 0) return '';
  return `: ${lines.slice(0, 3).join('; ')}${lines.length > 3 ? `; and ${lines.length - 3} more` : ''}`;
}
