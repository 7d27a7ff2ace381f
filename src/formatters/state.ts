import type { StateEntry } from '../state/state-report.js';

/** `state list`: one line per node, its name first (so `awk '{print $1}'` gives the names). */
export function formatStateList(entries: StateEntry[]): string {
  const header = ['NODE', 'REGION/SUB-GRID', 'LAST RUN', 'APPLIED AT', 'TOPOLOGY', 'ROLE'];
  const rows = entries.map((e) => [
    e.node,
    e.group ?? '(not in topology)',
    e.record?.lastOutcome ?? 'never applied',
    e.record?.appliedAt || '-',
    e.topology,
    e.roles.join(', '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((cells) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

/** `state show`: every recorded field of one node. */
export function formatStateEntry(e: StateEntry): string {
  const r = e.record;
  const lines: Array<[string, string]> = [
    ['node', e.node],
    ['region/sub-grid', e.group ?? '(not in the topology any more)'],
    ['topology', { current: 'last applied with this topology', older: 'last applied with another version of the topology', never: 'never applied' }[e.topology]],
  ];
  if (r) {
    lines.push(
      ['last run', r.lastOutcome],
      ...(r.lastError ? ([['last error', r.lastError]] as Array<[string, string]>) : []),
      ['applied at', r.appliedAt || '-'],
      ['changes applied', String(r.changesApplied)],
      ['playbooks', r.playbooks.join(', ') || '-'],
      ['topology sha256', r.topologyHash || '-'],
      ['gridops version', r.gridopsVersion || '-'],
      ['agent version', r.agentVersion ?? 'not installed'],
    );
  }
  if (e.roles.length) lines.push(['overlay (last verify)', e.roles.join(', ')]);
  const width = Math.max(...lines.map(([k]) => k.length));
  return lines.map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${v}`).join('\n');
}
