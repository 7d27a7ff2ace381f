import type { AgentStatus } from '../core/agent.js';

/** One row of `gridagent members`, as `consul members` lists a cluster. */
export interface MemberRow {
  node: string;
  status: string;
  role: 'super-peer' | 'mirror' | 'member';
  score: number;
  load: number;
  cores?: number;
  memoryMiB?: number;
  arch?: string;
  labels: Record<string, string>;
}

/** The sub-grid's members as this agent holds them: every member on a super peer or mirror, else none. */
export function memberRows(status: AgentStatus): MemberRow[] {
  return status.members.map((m) => ({
    node: m.name,
    status: m.liveness,
    role: m.name === status.superPeer ? 'super-peer' : status.mirrors.includes(m.name) ? 'mirror' : 'member',
    score: m.score,
    load: m.load,
    ...(m.cores !== undefined ? { cores: m.cores } : {}),
    ...(m.memoryMiB !== undefined ? { memoryMiB: m.memoryMiB } : {}),
    ...(m.arch !== undefined ? { arch: m.arch } : {}),
    labels: m.labels ?? {},
  }));
}

/** The table; on a plain member (which holds no registry), where the list lives instead. */
export function renderMembers(status: AgentStatus): string {
  const rows = memberRows(status);
  if (rows.length === 0) {
    return `${status.node} is a ${status.role} of sub-grid ${status.region}/${status.subgrid}; the member list is held by its super peer ${status.superPeer ?? '(none known yet)'}${status.mirrors.length ? ` and mirrors ${status.mirrors.join(', ')}` : ''}: run \`gridagent members\` there, or \`gridagent members --http HOST:PORT\` where its agent.httpAddress is reachable\n`;
  }
  const header = ['Node', 'Status', 'Role', 'Score', 'Load', 'Cores', 'Memory', 'Arch', 'Labels'];
  const cells = rows.map((r) => [r.node, r.status, r.role, String(r.score), String(r.load), r.cores === undefined ? '' : String(r.cores), r.memoryMiB === undefined ? '' : `${r.memoryMiB} MiB`, r.arch ?? '', Object.entries(r.labels).map(([k, v]) => `${k}=${v}`).join(',')]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  return `${[header, ...cells].map((c) => c.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n')}\n`;
}
