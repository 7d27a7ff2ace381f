import { AGENT_VERSION } from '../agent/version.js';
import type { HostOutcome } from '../engine/applier.js';
import type { PlannedHost } from '../engine/planner.js';
import type { ExpectedVersions } from '../overlay/agent-versions.js';
import { isAgentPlaybook } from '../topology/agent-playbook.js';

/**
 * Whether this run's agent playbook went through on the host (applied, or had nothing left to do):
 * gridagent AGENT_VERSION is then what is installed there, what the state records (host-record.ts)
 * and `gridops status` expects later.
 */
export function agentPlaybookApplied(p: PlannedHost, outcome: HostOutcome): boolean {
  return (outcome.status === 'applied' || outcome.status === 'unchanged') && p.plan.playbooks.some((ref) => isAgentPlaybook({ ref }));
}

/**
 * The version each host whose agent this run deployed or restarted must answer with: the one
 * gridops ships. Such a host is one the run applied changes on (its outcome `applied`) with the
 * agent playbook among its playbooks. Verify and the rolling gates wait for it
 * (overlay/agent-versions.ts). Not judged: a host with no outcome yet (`outcomeOf` gives none: a
 * batch not applied yet), one the run had nothing to change on (`unchanged`: it did not touch it,
 * as the existing hosts of a `--site` run), and the nodes outside `--limit`, which are not planned.
 */
export function deployedAgentVersions(planned: readonly PlannedHost[], outcomeOf: (host: string) => HostOutcome | undefined): ExpectedVersions {
  return new Map(
    planned.flatMap((p) => {
      const outcome = outcomeOf(p.session.node.name);
      return outcome?.status === 'applied' && agentPlaybookApplied(p, outcome) ? [[p.session.node.name, AGENT_VERSION] as const] : [];
    }),
  );
}
