import type { InitialElection } from '../election/initial-election.js';
import type { PlannedHost } from './planner.js';
import type { HostSession } from './session.js';
import { askAgent, NOT_ANSWERING } from '../status/agent-view.js';
import { overlayAgreement, type AgentAnswer, type OverlayAgreement } from '../status/overlay-agreement.js';
import { fanOut } from '../transport/fan-out.js';

/** The resource through which a playbook runs gridagent (playbooks/agent.yaml). */
const AGENT_UNIT = 'systemd-unit gridagent.service';

/** Apply's last phase, as recorded in the state. */
export interface OverlayVerification extends OverlayAgreement {
  verifiedAt: string;
  /** How many agents were asked. */
  nodes: number;
  ms: number;
  /** For the sub-grids and regions that this run elected (plan.election): the ones that came out otherwise. */
  unlikePlan?: string[];
}

/**
 * Which planned first elections came out otherwise (say the planned node's agent started late or
 * failed). Not an error: the overlay elected someone, and live scores rule from then on.
 */
export function unlikePlan(election: InitialElection, agreement: OverlayAgreement): string[] {
  const differ: string[] = [];
  for (const s of election.subgrids) {
    const key = `${s.region}/${s.subgrid}`;
    if (s.status === 'initial' && key in agreement.superPeers && agreement.superPeers[key] !== s.superPeer) differ.push(`${key}: super peer ${agreement.superPeers[key] ?? '(none)'}, planned ${s.superPeer}`);
  }
  for (const r of election.regions) {
    if (r.status === 'initial' && r.region in agreement.regionPeers && agreement.regionPeers[r.region] !== r.regionPeer) differ.push(`${r.region}: region peer ${agreement.regionPeers[r.region] ?? '(none)'}, planned ${r.regionPeer}`);
  }
  return differ;
}

/** The hosts whose agent apply should hear from: those that ran one before, or run one now. */
export function hostsWithAgent(planned: readonly PlannedHost[]): HostSession[] {
  return planned.filter((p) => p.session.facts.agentVersion !== null || p.resources.has(AGENT_UNIT)).map((p) => p.session);
}

/**
 * Step 5 of apply (DESIGN.md): asks every agent for its view over the run's open connections,
 * every 500 ms, until they agree on one overlay (overlayAgreement) or the deadline passes.
 */
export async function verifyOverlay(sessions: readonly HostSession[], options: { concurrency: number; deadline: number; signal?: AbortSignal }): Promise<OverlayVerification> {
  const t0 = performance.now();
  const ask = async (): Promise<OverlayAgreement> => {
    const views = await fanOut(sessions, (s) => s.node.name, (s) => askAgent(s.transport), { concurrency: options.concurrency });
    const answers: AgentAnswer[] = sessions.map((s, i) => {
      const outcome = views[i]!;
      return { node: s.node.name, region: s.node.region, subgrid: s.node.subgrid, view: outcome.status === 'ok' ? outcome.value : NOT_ANSWERING };
    });
    return overlayAgreement(answers);
  };
  let agreement = await ask();
  while (!agreement.converged && Date.now() < options.deadline && !options.signal?.aborted) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    agreement = await ask();
  }
  return { ...agreement, verifiedAt: new Date().toISOString(), nodes: sessions.length, ms: Math.round(performance.now() - t0) };
}
