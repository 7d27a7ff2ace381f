import type { ExpectedVersions } from '../overlay/agent-versions.js';
import { recordRanAgent } from '../state/nodes-with-agent.js';
import type { GridState, HostState } from '../state/state.js';

/**
 * The agent status expects on a node: where the state says the node ran gridagent (the one rule,
 * state/nodes-with-agent.ts), with the version it recorded after the last run (null in states
 * written before that was recorded after a deploy: any running version then matches). A node
 * never applied, or only ever run with other playbooks, expects none: `--strict` already fails
 * it as not applied with this topology, and `--wait` leaves a sub-grid not deployed yet alone.
 */
export function expectedAgent(record: HostState | undefined): { agentExpected: { recordedVersion: string | null } } | Record<string, never> {
  return record && recordRanAgent(record) ? { agentExpected: { recordedVersion: record.agentVersion } } : {};
}

/**
 * The version each of `nodes`' running agents must report, where the state records one: the
 * version the last apply installed, which its verify waits for on the hosts it changed
 * (phases/agent-deployed.ts), so an old process still running after it is the same "not
 * converged" in `status --wait` and `--strict`.
 */
export function recordedAgentVersions(state: GridState, nodes: readonly { name: string }[]): ExpectedVersions {
  return new Map(
    nodes.flatMap((n) => {
      const expected = expectedAgent(state.hosts[n.name]);
      return 'agentExpected' in expected && expected.agentExpected.recordedVersion !== null ? [[n.name, expected.agentExpected.recordedVersion] as const] : [];
    }),
  );
}
