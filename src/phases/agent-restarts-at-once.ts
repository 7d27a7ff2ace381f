import type { PlannedHost } from '../engine/planner.js';
import { AGENT_UNIT } from '../overlay/agent-hosts.js';
import type { AgentRestartsAtOnce } from '../plan/plan.js';
import { restartsUnit } from '../resources/restarts-unit.js';
import { allSubgrids, type Grid } from '../topology/model.js';

/**
 * Does this host's plan restart the agent that runs there now: a notified handler that restarts
 * its unit (a new bundle, config or grid key), or a change of the unit that restarts or stops it?
 * A host with no agent yet only starts one, which costs the overlay nothing.
 */
export function restartsAgent(host: PlannedHost): boolean {
  if (host.session.facts.agentVersion === null) return false;
  const notified = host.handlers.filter((h) => host.plan.handlers.includes(h.name));
  if (notified.some((h) => restartsUnit(h.command, AGENT_UNIT, { orStop: true }))) return true;
  return host.plan.changes.some((c) => c.kind === 'systemd-unit' && c.unit === AGENT_UNIT && (c.steps.includes('restart') || c.steps.includes('stop')));
}

/**
 * The sub-grids (of two nodes or more) where a plain apply restarts the agents of every node, or
 * of most of them, in one batch (review M2). Restarted together, their super peer has no
 * successor ready to hand over to, and most voters go with it: the sub-grid has no super peer for
 * a few seconds, where `--rolling` keeps one throughout. A node this run does not plan (`--limit`,
 * unreachable) is taken to keep its agent running.
 */
export function agentRestartsAtOnce(grid: Grid, planned: readonly PlannedHost[], removing: ReadonlySet<string>): AgentRestartsAtOnce | undefined {
  const byName = new Map(planned.map((p) => [p.session.node.name, p]));
  const every: string[] = [];
  const most: string[] = [];
  for (const subgrid of allSubgrids(grid)) {
    const agentRuns = (name: string) => { const host = byName.get(name); return host === undefined || host.session.facts.agentVersion !== null; };
    const running = subgrid.nodes.filter((n) => !removing.has(n.name) && agentRuns(n.name));
    if (running.length < 2) continue;
    const restarted = running.filter((n) => byName.has(n.name) && restartsAgent(byName.get(n.name)!)).length;
    const name = `${subgrid.region}/${subgrid.name}`;
    if (restarted === running.length) every.push(name);
    else if (restarted * 2 > running.length) most.push(name);
  }
  return every.length || most.length ? { every, most } : undefined;
}
