import { plural } from '../plural.js';
import type { ForgetResult } from '../state/forget-nodes.js';
import type { StateEntry } from '../state/state-report.js';
import type { HostState } from '../state/state.js';
import { printableText } from '../text/printable-text.js';

/**
 * `state list`: one line per node, its name first (so `awk '{print $1}'` gives the names). Here and
 * below, what the state file holds is printed through printableText: a hand-edited record's control
 * or bidi characters would otherwise act on the terminal (recolour it, reverse the text after them),
 * showing other names and versions than the file holds. Widths are measured on the escaped cells.
 */
export function formatStateList(entries: StateEntry[]): string {
  const header = ['NODE', 'REGION/SUB-GRID', 'LAST RUN', 'APPLIED AT', 'TOPOLOGY', 'ROLE'];
  const rows = entries.map((e) =>
    [e.node, e.group ?? '(not in topology)', e.record?.lastOutcome ?? 'never applied', e.record?.appliedAt || '-', e.topology, e.roles.join(', ')].map(printableText),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((cells) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

/** `state show`: every recorded field of one node. */
export function formatStateEntry(e: StateEntry): string {
  const r = e.record;
  const lines: Array<[string, string]> = [
    ['node', e.node],
    ['region/sub-grid', e.group ?? '(not in the topology any more)'],
  ];
  if (r && (r.lastOutcome === 'failed' || r.lastOutcome === 'skipped')) lines.push(...unsuccessfulRun(e, r));
  else {
    lines.push(['topology', { current: 'last applied with this topology', older: 'last applied with another version of the topology', never: 'never applied' }[e.topology]]);
    if (r) {
      lines.push(
        ['last run', r.lastOutcome],
        ['applied at', r.appliedAt || '-'],
        ['changes applied', String(r.changesApplied)],
        ['playbooks', r.playbooks.join(', ') || '-'],
        ['topology sha256', r.topologyHash || '-'],
      );
    }
  }
  if (r) lines.push(['gridops version', r.gridopsVersion || '-'], ['agent version', r.agentVersion ?? 'not installed']);
  // Owed handlers are why a plan of an unchanged host can still show work (phases/pending-handlers.ts).
  if (r?.pendingHandlers?.length) lines.push(['owed handlers', `${r.pendingHandlers.join(', ')} (from an interrupted or failed run: the next apply runs them)`]);
  if (e.roles.length) lines.push(['overlay (last verify)', e.roles.join(', ')]);
  const width = Math.max(...lines.map(([k]) => k.length));
  // Every value, the record's own (owed handlers, gridops version, last error) and the names around them.
  return lines.map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${printableText(v)}`).join('\n');
}

/**
 * A node whose last run failed or was skipped keeps the topology, playbooks and time of its last
 * successful apply (record-state.ts): those are shown under that name, apart from the last run, so
 * nothing of the run that failed reads as applied.
 */
function unsuccessfulRun(e: StateEntry, r: HostState): Array<[string, string]> {
  const done = r.lastOutcome === 'skipped' ? 'not started' : r.changesApplied ? `${plural(r.changesApplied, 'change')} completed before it stopped` : 'no change completed';
  const notes = [...(r.lastRunAt ? [] : ['its time not recorded by the older gridops that wrote this state']), done, 'nothing recorded as applied by it'];
  const lines: Array<[string, string]> = [['last run', `${r.lastOutcome}${r.lastRunAt ? ` at ${r.lastRunAt}` : ''} (${notes.join('; ')})`]];
  if (r.lastError) lines.push(['last error', r.lastError]);
  if (!r.appliedAt) return [...lines, ['last successful apply', 'none']];
  const topology = e.topology === 'current' ? 'with this topology' : 'with another version of the topology';
  return [...lines, ['last successful apply', `${r.appliedAt}, ${topology}`], ['  playbooks', r.playbooks.join(', ') || '-'], ['  topology sha256', r.topologyHash || '-']];
}

/**
 * `state rm`: each node forgotten, with where it was (the record is gone from the state, so this
 * line is what is left of it), and that its host was not touched.
 */
export function formatForgotten(result: ForgetResult): string {
  const lines = result.forgotten.map(({ node, record, inTopology }) => {
    const where = record.node ? `${record.node.user}@${record.node.address}:${record.node.port}, ${record.node.region}/${record.node.subgrid}, ` : '';
    const last = record.appliedAt ? `last applied ${record.appliedAt}` : 'never applied';
    const next = inTopology ? '; the topology still has it: the next apply plans it afresh from the host' : '';
    return printableText(`forgot ${node} (${where}${last})${next}`);
  });
  return [...lines, `${plural(result.forgotten.length, 'node')} forgotten, no host contacted (what gridops installed there stays); ${printableText(result.stateFile)} (serial ${result.serial})`].join('\n');
}
