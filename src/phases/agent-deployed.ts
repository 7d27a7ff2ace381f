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
function agentPlaybookApplied(p: PlannedHost, outcome: HostOutcome): boolean {
  return (outcome.status === 'applied' || outcome.status === 'unchanged') && p.plan.playbooks.some((ref) => isAgentPlaybook({ ref }));
}

/**
 * The gridagent version installed on the host after this run, as the state records it: the one
 * gridops ships once the agent playbook went through there (the facts were read before it, and
 * said "not installed" after a first deploy, review N1); otherwise what the run read from its
 * VERSION file. Null: no agent installed (nodes-with-agent.ts).
 */
export function agentVersionAfterRun(p: PlannedHost, outcome: HostOutcome): string | null {
  return agentPlaybookApplied(p, outcome) ? AGENT_VERSION : p.session.facts.agentVersion;
}

/**
 * The version each agent on a host this run read must answer with: the one installed there after
 * the run (agentVersionAfterRun), which the state records and `gridops status` judges it against.
 * Every host, not only the ones the run changed: after a gate or verify found an old process, the
 * re-run it asks for has nothing to change on that host (its files are current), and must still
 * fail while the old process answers. Verify and the rolling gates wait for it (overlay/agent-versions.ts).
 * Every read gathers the agent's version (planner.ts: the agent-only facts, over SFTP too), so no
 * extra round trip. Not judged: a host with no outcome yet (`outcomeOf` gives none: a batch not
 * applied yet, judged at the gate after it), one whose apply failed (it may have stopped between
 * the new gridagent landing and its restart, so what runs there is not known), one with no agent
 * installed, and the nodes a `--limit` or `--site` run did not read, which are not planned.
 */
export function installedAgentVersions(planned: readonly PlannedHost[], outcomeOf: (host: string) => HostOutcome | undefined): ExpectedVersions {
  return new Map(
    planned.flatMap((p) => {
      const outcome = outcomeOf(p.session.node.name);
      const installed = outcome === undefined || outcome.status === 'failed' ? null : agentVersionAfterRun(p, outcome);
      return installed === null ? [] : [[p.session.node.name, installed] as const];
    }),
  );
}
