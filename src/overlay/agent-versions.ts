import { NOT_ANSWERING, type AgentView } from './agent-view.js';

/**
 * Per node: the gridagent version its running agent must report, the one installed there (for
 * apply, phases/agent-deployed.ts; for status, the one the state records). A node not in it is not
 * judged on its version.
 */
export type ExpectedVersions = ReadonlyMap<string, string>;

/**
 * Why each node of `expected` whose agent answers does not run the version installed there, one
 * line each, with what brings it to that version. A new gridagent on disk is not a new agent: a
 * restart that was skipped or failed silently, a unit edited to run another program, or a process
 * started by hand leaves the old one answering, and its consistent view would otherwise pass as
 * the apply converged. An agent that reports no version is older than the field, so not the one
 * installed. One that does not answer, or left, has its own line (convergence.ts) and none here.
 */
export function versionsNotRunning(answers: readonly { node: string; view: AgentView }[], expected: ExpectedVersions): string[] {
  return answers.flatMap(({ node, view }) => {
    const installed = expected.get(node);
    if (installed === undefined || view.role === NOT_ANSWERING.role || view.role === 'left' || view.version === installed) return [];
    const running = view.version === undefined ? 'an older version that does not report one' : view.version;
    return [`${node}: its agent runs ${running}, not ${installed}, the version installed there (the old process still runs): run \`systemctl restart gridagent\` on ${node}, then run the same apply again`];
  });
}
