import { sharedHints } from '../errors/shared-hints.js';
import { namedFew } from '../named-few.js';
import { outsideTheRun, regionWaitText, subgridWaitText } from '../overlay/first-election-waits.js';
import type { InitialElection, RankedNode } from '../overlay/initial-election.js';
import { plural } from '../plural.js';
import type { Change } from './change.js';
import { countPlan, hostHasWork, type AgentRestartsAtOnce, type Plan } from './plan.js';
import { swapPastMemoryCapLines } from './swap-past-memory-cap-lines.js';
import { gridKeyChangeLine } from './grid-key-change-line.js';

const SYMBOL: Record<Change['action'], string> = { create: '+', update: '~', delete: '-', run: '!', none: '=' };

/**
 * The human rendering of a plan: per host, `+` create, `~` change (before -> after), `-` remove, `!` run.
 * `command` is the one that made the plan (default apply): a node it could not reach is retried by its next run.
 */
export function renderPlan(plan: Plan, options: { color?: boolean; command?: 'apply' | 'reset' } = {}): string {
  const paint = (code: number, s: string) => (options.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const colorOf: Record<Change['action'], number> = { create: 32, update: 33, delete: 31, run: 35, none: 2 };
  const out: string[] = [];
  const shared = sharedHints(plan.hosts.map((h) => ({ host: h.host, hint: h.error?.hint })));
  for (const host of plan.hosts) for (const from of host.renamedFrom ?? []) out.push(`${from} → ${host.host} (${host.address}): renamed, not decommissioned`);
  for (const host of plan.hosts) {
    if (!hostHasWork(host) && !host.notes.length && !host.error) continue;
    const decommission = host.error
      ? `DECOMMISSION, not reached: ${host.unrecorded ? 'the state has no record of it (never applied)' : 'it stays in the state'}, and the next ${options.command ?? 'apply'} tries again`
      : `DECOMMISSION: gridops is removed from this node ${host.unrecorded ? '(the state has no record of it: nothing to forget)' : 'and the state forgets it'}`;
    out.push(paint(1, `${host.host} (${host.address})${host.decommission ? ` ${paint(31, decommission)}` : ''}`));
    if (host.error) out.push(`  ${paint(31, 'x')} ${host.error.kind}: ${host.error.message}${host.error.hint && !shared.has(host.error.hint) ? `\n      hint: ${host.error.hint}` : ''}`);
    for (const c of [...host.changes, ...host.notes]) {
      out.push(`  ${paint(colorOf[c.action], SYMBOL[c.action])} ${c.id}${c.action === 'none' ? `: ${c.summary}` : ''}`);
      for (const f of c.fields) out.push(`      ${f.name}: ${f.before ?? '(none)'} -> ${f.after ?? '(none)'}`);
      if (c.kind === 'command') out.push(`      command: ${c.command}`);
      if (c.kind === 'absent-paths') for (const why of c.why ?? []) out.push(`      why: ${why}`);
      if (c.needsRestart) out.push(`      ${paint(31, 'restart:')} ${c.needsRestart}; applied only with apply --replace-sandbox`);
      if (c.diff) out.push(...c.diff.split('\n').map((l) => `      ${l.startsWith('+') && !l.startsWith('+++') ? paint(32, l) : l.startsWith('-') && !l.startsWith('---') ? paint(31, l) : l}`));
    }
    if (host.handlers.length) out.push(`  then run handlers: ${host.handlers.map((name) => (host.pendingHandlers?.includes(name) ? `${name} (owed by an interrupted or failed run)` : name)).join(', ')}`);
  }
  for (const [hint, hosts] of shared) out.push(`hint for ${namedFew(hosts)}: ${hint}`);
  if (plan.election) out.push(...renderElection(plan.election, outsideTheRun(plan)));
  if (plan.agentRestarts) out.push(agentRestartsLine(plan.agentRestarts));
  if (plan.swapPastMemoryCap) out.push(...swapPastMemoryCapLines(plan.swapPastMemoryCap));
  if (plan.gridKeyChange) out.push(gridKeyChangeLine(plan.gridKeyChange));
  const n = countPlan(plan);
  const total = n.create + n.update + n.delete + n.run;
  out.push(
    total === 0 && n.hostsWithErrors === 0
      ? noChanges(plan.hosts.length, options.command ?? 'apply')
      : `Plan: ${n.create} to create, ${n.update} to change, ${n.delete} to remove, ${n.run} to run, on ${n.hostsWithChanges} of ${plan.hosts.length} hosts${n.hostsWithErrors ? `; ${plural(n.hostsWithErrors, 'host')} with errors` : ''}.`,
  );
  return out.join('\n');
}

/** The closing line of a plan with nothing to do, in the words of the command that made it. */
function noChanges(hosts: number, command: 'apply' | 'reset'): string {
  if (command === 'reset') return `Nothing to reset: nothing gridops installs is on ${plural(hosts, 'host')}.`;
  return `No changes. ${hosts === 1 ? '1 host matches' : `${hosts} hosts match`} the topology.`;
}

/**
 * One line for the run, not one per host (review M2): "restarts the agents of every node of 2
 * sub-grids at once (r1/s1, r1/s2): each is without a super peer for a few seconds; …".
 */
export function agentRestartsLine(restarts: AgentRestartsAtOnce): string {
  const { every, most } = restarts;
  const count = (n: number) => plural(n, 'sub-grid');
  const which = every.length && most.length ? `every node of ${count(every.length)} and most nodes of ${most.length} more` : every.length ? `every node of ${count(every.length)}` : `most nodes of ${count(most.length)}`;
  const each = every.length + most.length === 1 ? 'it is' : 'each is';
  return `Agents: restarts the agents of ${which} at once (${[...every, ...most].join(', ')}): ${each} without a super peer for a few seconds; \`--rolling\` restarts them a batch at a time.`;
}

/** The initial election, explained: who wins each sub-grid and region whose first agents this run starts, and ahead of whom; `outside`: where voters the run leaves out are (outsideTheRun). */
function renderElection(election: InitialElection, outside: string): string[] {
  const fresh = election.subgrids.filter((s) => s.status === 'initial');
  const lines: string[] = [];
  if (fresh.length) {
    lines.push('Initial election (from facts: cores, memory, preference; best score wins, ties to the lowest name (byte order); the agents\' first election follows it):');
    const fmt = (r: RankedNode) => `${r.node} (score ${r.score}${r.preference === 'prefer' ? ', preferred' : ''})`;
    for (const s of fresh) {
      const [best, ...rest] = s.ranking;
      // Nodes outside --limit (or not reached) a first election waits for are said once, by the wait.
      const outsideLimit = s.outsideLimit?.length && !s.waitsFor ? `; not counted (outside --limit): ${s.outsideLimit.join(', ')}` : '';
      const unknown = s.unknown.filter((n) => !s.waitsFor?.includes(n));
      lines.push(`  super peer of ${s.region}/${s.subgrid}: ${best!.node} (score ${best!.score}: ${best!.cores} cores, ${best!.memoryGiB} GiB${best!.preference === 'prefer' ? ', preferred' : ''})${rest.length ? `, ahead of ${rest.map(fmt).join(', ')}` : ''}${unknown.length ? `; not counted (unreachable): ${unknown.join(', ')}` : ''}${outsideLimit}${s.waitsFor ? `; ${subgridWaitText(s.waitsFor, outside, new Set(s.unknown))}` : ''}`);
    }
    for (const r of election.regions.filter((x) => x.status === 'initial')) {
      const waitingToo = new Set(election.subgrids.filter((s) => s.region === r.region && s.waitsFor).map((s) => s.subgrid));
      lines.push(`  region peer of ${r.region}: ${r.regionPeer} (the best of its super peers)${r.waitsFor ? `; ${regionWaitText(r.waitsFor, waitingToo, outside, new Set(r.unreachable))}` : ''}`);
    }
    // A region with a sub-grid born in this run whose other sub-grids are not (outside --limit, no agent deployed): its vote waits for them, named as verify names them.
    const bornHere = new Set(fresh.map((s) => s.region));
    for (const r of election.regions.filter((x) => x.status === 'not-planned' && bornHere.has(x.region))) {
      const waitingToo = new Set(election.subgrids.filter((s) => s.region === r.region && s.waitsFor).map((s) => s.subgrid));
      lines.push(`  region peer of ${r.region}: not planned${r.waitsFor ? `; ${regionWaitText(r.waitsFor, waitingToo, outside, new Set(r.unreachable))}` : ', not all of its sub-grids start fresh in this run'}`);
    }
  }
  const running = election.subgrids.filter((s) => s.status === 'running').length;
  if (running) lines.push(`Super peers: agents already run in ${running} sub-grid${running === 1 ? '' : 's'}; they keep their super peers (gridops status shows them).`);
  for (const s of election.subgrids.filter((x) => x.status === 'no-candidate')) lines.push(`Super peers: no reachable node of ${s.region}/${s.subgrid} may stand.`);
  return lines;
}
