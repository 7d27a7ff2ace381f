import type { ApplyResult } from '../phases/apply-outcome.js';
import { plural } from '../plural.js';

/** The closing lines of apply (or reset, in its own words): counts, then each failed host with its step and the remote stderr. */
export function formatApplySummary(result: ApplyResult, verb: 'apply' | 'reset' = 'apply'): string {
  const applied = result.hosts.filter((h) => h.status === 'applied');
  const changes = applied.reduce((n, h) => n + h.applied, 0);
  const unchanged = result.hosts.filter((h) => h.status === 'unchanged').length;
  const took = `in ${(result.ms / 1000).toFixed(1)} s.`;
  const first =
    verb === 'apply'
      ? `Apply: ${plural(changes, 'change')} on ${plural(applied.length, 'host')}, ${unchanged} unchanged, ${took}`
      : applied.length || !unchanged
        ? `Reset: ${plural(changes, 'change')} on ${plural(applied.length, 'host')}, ${unchanged} with nothing to reset, ${took}`
        : `Reset: nothing to reset on ${plural(unchanged, 'host')}, ${took}`;
  const lines = [first];
  for (const h of result.hosts.filter((x) => x.status === 'failed')) {
    lines.push(`  FAILED ${h.host} at ${h.failure?.step}: ${h.failure?.error}`);
    if (h.failure?.stdout?.trim()) lines.push('    stdout:', ...h.failure.stdout.trim().split('\n').slice(-10).map((l) => `    | ${l}`));
    if (h.failure?.stderr?.trim()) lines.push('    stderr:', ...h.failure.stderr.trim().split('\n').slice(-10).map((l) => `    | ${l}`));
  }
  for (const h of result.hosts.filter((x) => x.status === 'skipped')) lines.push(`  skipped ${h.host}`);
  for (const h of result.hosts) for (const r of h.refused ?? []) lines.push(`  REFUSED ${h.host} ${r.id}: ${r.reason}; run apply again with --replace-sandbox to allow it`);
  const notChecked = new Set(result.notChecked);
  const ofSite = new Set(result.notCheckedOfSite);
  for (const u of result.unreachable) lines.push(`  UNREACHABLE ${u.host}${notChecked.has(u.host) ? ` (${ofSite.has(u.host) ? 'of the site, not new' : 'outside the new site'}: not touched, not checked for changes)` : ''}: ${u.error}`);
  lines.push(...recap(result));
  const o = result.overlay;
  if (o) {
    const peers = (map: Record<string, string | null>) => Object.entries(map).map(([group, peer]) => `${group} ${peer ?? '(none)'}`).join(', ');
    lines.push(o.converged ? `Overlay: converged in ${(o.ms / 1000).toFixed(1)} s (${plural(o.nodes, 'agent')}).` : `Overlay: NOT converged after ${(o.ms / 1000).toFixed(1)} s (${plural(o.nodes, 'agent')}).`);
    lines.push(`  super peers: ${peers(o.superPeers)}`);
    if (Object.keys(o.regionPeers).length) lines.push(`  region peers: ${peers(o.regionPeers)}`);
    for (const w of o.converged ? [] : o.waitingFor) lines.push(`  waiting for ${w}`);
    if (o.unlikePlan?.length) lines.push(...o.unlikePlan.map((d) => `  unlike the plan: ${d}`));
  }
  return lines.join('\n');
}

/**
 * Ansible's PLAY RECAP: one line per host (changed, unchanged, failed, skipped, unreachable), then
 * totals. A host's commands skipped by their guard as they were to run (an earlier change of the
 * batch made their `creates`) are counted (`skipped=N`, Ansible's column): each was said on its
 * own line as it went, and is no change.
 */
export function recap(result: Pick<ApplyResult, 'hosts' | 'unreachable'>): string[] {
  const rows = [
    ...result.hosts.map((h) => [h.host, h.status === 'applied' ? 'changed' : h.status, `changes=${h.applied}`, h.skipped?.length ? `skipped=${h.skipped.length}` : '', h.failure ? `at ${h.failure.step}` : '']),
    ...result.unreachable.map((u) => [u.host, 'unreachable', 'changes=0', '', '']),
  ];
  // A column no row fills (no host skipped a command, none failed) takes no room.
  const widths = rows[0] ? rows[0].map((_, i) => Math.max(...rows.map((r) => r[i]!.length))) : [];
  const row = (r: string[]) => `  ${r.flatMap((cell, i) => (widths[i] ? [cell.padEnd(widths[i]!)] : [])).join('  ')}`.trimEnd();
  const totals = new Map<string, number>();
  for (const r of rows) totals.set(r[1]!, (totals.get(r[1]!) ?? 0) + 1);
  const order = ['changed', 'unchanged', 'failed', 'skipped', 'unreachable'];
  return [
    'Recap:',
    ...rows.map(row),
    `  ${plural(rows.length, 'host')}: ${order.map((k) => `${totals.get(k) ?? 0} ${k}`).join(', ')}`,
  ];
}
