import type { ApplyResult } from '../phases/apply-outcome.js';

/** The closing lines of apply: counts, then each failed host with its step and the remote stderr. */
export function formatApplySummary(result: ApplyResult): string {
  const applied = result.hosts.filter((h) => h.status === 'applied');
  const changes = applied.reduce((n, h) => n + h.applied, 0);
  const lines = [`Apply: ${changes} change(s) on ${applied.length} host(s), ${result.hosts.filter((h) => h.status === 'unchanged').length} unchanged, in ${(result.ms / 1000).toFixed(1)} s.`];
  for (const h of result.hosts.filter((x) => x.status === 'failed')) {
    lines.push(`  FAILED ${h.host} at ${h.failure?.step}: ${h.failure?.error}`);
    if (h.failure?.stderr) lines.push(...h.failure.stderr.trim().split('\n').slice(-5).map((l) => `    | ${l}`));
  }
  for (const h of result.hosts.filter((x) => x.status === 'skipped')) lines.push(`  skipped ${h.host}`);
  for (const h of result.hosts) for (const r of h.refused ?? []) lines.push(`  REFUSED ${h.host} ${r.id}: ${r.reason}; run apply again with --replace-sandbox to allow it`);
  for (const u of result.unreachable) lines.push(`  UNREACHABLE ${u.host}: ${u.error}`);
  const o = result.overlay;
  if (o) {
    const peers = (map: Record<string, string | null>) => Object.entries(map).map(([group, peer]) => `${group} ${peer ?? '(none)'}`).join(', ');
    lines.push(o.converged ? `Overlay: converged in ${(o.ms / 1000).toFixed(1)} s (${o.nodes} agents).` : `Overlay: NOT converged after ${(o.ms / 1000).toFixed(1)} s (${o.nodes} agents).`);
    lines.push(`  super peers: ${peers(o.superPeers)}`);
    if (Object.keys(o.regionPeers).length) lines.push(`  region peers: ${peers(o.regionPeers)}`);
    for (const w of o.converged ? [] : o.waitingFor) lines.push(`  waiting for ${w}`);
    if (o.unlikePlan?.length) lines.push(...o.unlikePlan.map((d) => `  unlike the plan: ${d}`));
  }
  return lines.join('\n');
}
