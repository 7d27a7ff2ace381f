import type { HostFacts } from '../facts/host-facts.js';

/** The systemd unit gridagent runs as on a node (playbooks/agent.yaml installs it). */
export const AGENT_UNIT = 'gridagent.service';

/** A host as far as the overlay cares: its facts, and the systemd units this run manages on it. */
export interface AgentCandidate {
  facts: HostFacts;
  managedUnits: ReadonlySet<string>;
}

/**
 * Whether the run should hear from this host's agent: it ran one before (facts), or this run
 * manages the agent's unit on it. The one place that decides which hosts are in the overlay.
 */
export function runsAgent(host: AgentCandidate): boolean {
  return host.facts.agentVersion !== null || host.managedUnits.has(AGENT_UNIT);
}
