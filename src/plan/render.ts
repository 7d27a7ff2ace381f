import type { Change } from './change.js';
import { countPlan, type Plan } from './plan.js';

const SYMBOL: Record<Change['action'], string> = { create: '+', update: '~', delete: '-', run: '!', none: '=' };

/** The human rendering of a plan: per host, `+` create, `~` change (before -> after), `-` remove, `!` run. */
export function renderPlan(plan: Plan, options: { color?: boolean } = {}): string {
  const paint = (code: number, s: string) => (options.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const colorOf: Record<Change['action'], number> = { create: 32, update: 33, delete: 31, run: 35, none: 2 };
  const out: string[] = [];
  for (const host of plan.hosts) {
    if (!host.changes.length && !host.notes.length && !host.error) continue;
    out.push(paint(1, `${host.host} (${host.address})`));
    if (host.error) out.push(`  ${paint(31, 'x')} ${host.error.kind}: ${host.error.message}${host.error.hint ? `\n      hint: ${host.error.hint}` : ''}`);
    for (const c of [...host.changes, ...host.notes]) {
      out.push(`  ${paint(colorOf[c.action], SYMBOL[c.action])} ${c.id}${c.action === 'none' ? `: ${c.summary}` : ''}`);
      for (const f of c.fields) out.push(`      ${f.name}: ${f.before ?? '(none)'} -> ${f.after ?? '(none)'}`);
      if (c.kind === 'command') out.push(`      command: ${c.command}`);
      if (c.diff) out.push(...c.diff.split('\n').map((l) => `      ${l.startsWith('+') && !l.startsWith('+++') ? paint(32, l) : l.startsWith('-') && !l.startsWith('---') ? paint(31, l) : l}`));
    }
    if (host.handlers.length) out.push(`  then run handlers: ${host.handlers.join(', ')}`);
  }
  const n = countPlan(plan);
  const total = n.create + n.update + n.delete + n.run;
  out.push(
    total === 0 && n.hostsWithErrors === 0
      ? `No changes. ${plan.hosts.length} host${plan.hosts.length === 1 ? '' : 's'} match the topology.`
      : `Plan: ${n.create} to create, ${n.update} to change, ${n.delete} to remove, ${n.run} to run, on ${n.hostsWithChanges} of ${plan.hosts.length} hosts${n.hostsWithErrors ? `; ${n.hostsWithErrors} host(s) with errors` : ''}.`,
  );
  return out.join('\n');
}
