import type { GridStatus, NodeStatus } from '../status/grid-status.js';
import { newerGridopsAdvice } from '../status/newer-gridops-advice.js';
import { describeSandbox } from '../status/sandbox-view.js';
import { printableText } from '../text/printable-text.js';
import { GRIDOPS_VERSION } from '../version.js';

/** The status table: one line per node, then the overlay's super peers when agents answer. */
export function formatGridStatus(status: GridStatus): string {
  const header = ['NODE', 'ADDRESS', 'REGION/SUB-GRID', 'OS', 'KERNEL', 'CGROUP', 'CPU', 'MEM', 'APPLIED', 'AGENT', 'SANDBOX'];
  const rows = status.nodes.map((n) => [
    n.node,
    n.address,
    `${n.region}/${n.subgrid}`,
    n.reachable ? n.os ?? '' : 'UNREACHABLE',
    n.kernel ?? '',
    n.cgroup ?? '',
    n.cores === undefined ? '' : String(n.cores),
    n.memoryGiB === undefined ? '' : `${n.memoryGiB}G`,
    n.applied,
    agentColumn(n),
    describeSandbox(n.sandbox),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const out = [line(header), ...rows.map(line)];
  out.push('', `grid ${status.grid}: ${status.reachable}/${status.nodes.length} nodes reachable, ${status.inSync}/${status.nodes.length} in sync`);
  // A peer no node answered as (not asked, or not reached) is the overlay's, at its followers' word (status-peers.ts).
  const answersAs = (name: string, role: (n: NodeStatus) => boolean) => status.nodes.some((n) => n.node === name && role(n));
  const word = (peers: string[], role: (n: NodeStatus) => boolean, whose: string) => (peers.length === 1 && !answersAs(peers[0]!, role) ? ` (by its ${whose}' word)` : '');
  for (const [subgrid, peers] of Object.entries(status.superPeers)) out.push(`  super peer of ${subgrid}: ${peers.join(', ')}${word(peers, (n) => n.agent?.role === 'super-peer', 'members')}${peers.length > 1 ? '  (more than one: the overlay is still converging)' : ''}`);
  for (const [region, peers] of Object.entries(status.regionPeers)) out.push(`  region peer of ${region}: ${peers.join(', ')}${word(peers, (n) => n.agent?.regionRole === 'region-peer', 'super peers')}${peers.length > 1 ? '  (more than one: the overlay is still converging)' : ''}`);
  // A group whose first election waits for nodes without an agent says whom it waits for instead.
  const waits = status.firstElectionWaits ?? {};
  for (const [group, text] of Object.entries(waits)) out.push(`  ${group}: ${text}`);
  const withAgent = status.nodes.filter((n) => n.agentVersion);
  const subgrids = [...new Set(status.nodes.map((n) => `${n.region}/${n.subgrid}`))];
  const missing = subgrids.filter((sg) => !status.superPeers[sg] && !(sg in waits));
  if (withAgent.length && missing.length) out.push(`  no super peer yet in: ${missing.join(', ')}`);
  const regionsWithout = [...new Set(withAgent.map((n) => n.region))].filter((r) => !status.regionPeers[r] && !(r in waits));
  if (regionsWithout.length) out.push(`  no region peer yet in: ${regionsWithout.join(', ')}`);
  if (status.overlay && !status.overlay.converged) for (const w of status.overlay.waitingFor) out.push(`  not converged: ${w}`);
  for (const n of status.nodes.filter((x) => !x.reachable)) out.push(`  ${n.node}: ${n.error ?? 'unreachable'}`);
  for (const n of status.nodes) {
    const why = notInSyncNote(n);
    if (why) out.push(`  ${n.node}: ${why}`);
  }
  return out.join('\n');
}

/**
 * Why a node is not in sync where its topology and playbooks are the ones applied, with what to
 * run: the APPLIED column's one word names neither the handlers it owes nor the gridops that last ran
 * there (applied or failed). Both are read from the state file, which anyone may have edited: printed escaped.
 */
function notInSyncNote(n: NodeStatus): string | undefined {
  if (n.applied === 'handlers-owed') return `handlers owed (${n.pendingHandlers ? printableText(n.pendingHandlers.join(', ')) : '?'}) by an interrupted or failed run: run apply, which runs them`;
  const appliedWith = printableText(n.appliedWithGridops ?? '?');
  if (n.applied === 'older-gridops') return `last applied by gridops ${appliedWith}, this is ${GRIDOPS_VERSION}: run apply, which may deploy the agent again`;
  // Not "run apply": this gridops' apply would put its older agent on a grid a newer one deployed.
  if (n.applied === 'newer-gridops') return newerGridopsAdvice(appliedWith);
  return undefined;
}

/** The AGENT column: its version and role; `?` where the node was not reached (whether an agent runs there is not known). */
function agentColumn(n: NodeStatus): string {
  if (!n.reachable) return '?';
  if (n.agent?.role === 'left') return `${n.agentVersion} left${n.agent.leftAt ? ` (since ${n.agent.leftAt})` : ''}`;
  if (n.agent) return `${n.agentVersion} ${n.agent.role}${n.agent.regionRole ? ` + ${n.agent.regionRole}` : ''}${n.agent.term ? ` (term ${n.agent.term})` : ''}`;
  return n.agentVersion ?? 'not installed';
}
