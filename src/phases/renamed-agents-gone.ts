import { AGENT_RENAME_PLAYBOOK } from './renamed-agent.js';
import type { RunContext } from './run-context.js';

/**
 * The old names whose agent this run took out of the overlay: a renamed node's agent leaves under
 * its old name when that node's own workflow applies (agent-rename, renamed-agent.ts), and only
 * then. `applied`: the hosts applied so far (a rolling gate: the batches done; verify: the run's
 * hosts). A rename whose new name this run does not apply (outside `--limit`, a later batch, or a
 * workflow that deploys no agent) leaves the old agent running under the old name: that one is
 * still the super peer its members name, and counting it gone would wait for an overlay that
 * cannot come. The members of one that left keep naming it until their failure detection notices,
 * so the rolling gate and verify take no word for it (overlayAgreement's `gone`).
 */
export function renamedAgentsGone(ctx: Pick<RunContext, 'renamed' | 'planned'>, applied: ReadonlySet<string>): Set<string> {
  const leftUnderOldName = new Set(ctx.planned.filter((p) => applied.has(p.session.node.name) && p.plan.playbooks.includes(AGENT_RENAME_PLAYBOOK)).map((p) => p.session.node.name));
  return new Set([...ctx.renamed].filter(([, to]) => leftUnderOldName.has(to)).map(([from]) => from));
}
