import type { HostSession } from '../facts/host-session.js';
import { runsAgent } from '../overlay/agent-hosts.js';
import type { RunContext } from './run-context.js';

/** The hosts of this run whose agent apply should hear from (overlay/agent-hosts decides); not those whose gridops it removes. */
export function agentSessions(ctx: RunContext): HostSession[] {
  return ctx.planned.filter((p) => !ctx.removing.has(p.session.node.name) && runsAgent({ facts: p.session.facts, managedUnits: p.managedUnits })).map((p) => p.session);
}
