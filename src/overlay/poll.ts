import type { HostSession } from '../facts/host-session.js';
import { fanOut } from '../transport/fan-out.js';
import { askAgent, NOT_ANSWERING } from './agent-view.js';
import { overlayAgreement, type AgentAnswer, type OverlayAgreement } from './convergence.js';

/** How often the agents are asked again while the overlay has not converged. */
export const POLL_INTERVAL_MS = 500;

/** One look at the overlay: every asked agent's answer and what they agree on. */
export interface OverlayCheck {
  agreement: OverlayAgreement;
  answers: AgentAnswer[];
  /** How long the polling took, first question to last answer. */
  ms: number;
}

/** Asks every agent once, over the given connections, and judges their answers. */
export async function askOverlay(sessions: readonly HostSession[], concurrency: number): Promise<Omit<OverlayCheck, 'ms'>> {
  const views = await fanOut(sessions, (s) => s.node.name, (s) => askAgent(s.transport, s.node.settings.agent), { concurrency });
  const answers: AgentAnswer[] = sessions.map((s, i) => {
    const outcome = views[i]!;
    return { node: s.node.name, region: s.node.region, subgrid: s.node.subgrid, view: outcome.status === 'ok' ? outcome.value : NOT_ANSWERING };
  });
  return { agreement: overlayAgreement(answers), answers };
}

/**
 * The one polling loop of gridops: apply's verify phase, the rolling gate and `status --wait`
 * all use it. Asks every agent every POLL_INTERVAL_MS until the overlay has converged (the one
 * definition, overlayAgreement), the deadline passes, or the run is interrupted. With no
 * deadline it asks once.
 */
export async function pollOverlay(sessions: readonly HostSession[], options: { concurrency: number; deadline?: number; signal?: AbortSignal }): Promise<OverlayCheck> {
  const t0 = performance.now();
  let check = await askOverlay(sessions, options.concurrency);
  while (!check.agreement.converged && options.deadline !== undefined && Date.now() < options.deadline && !options.signal?.aborted) {
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    check = await askOverlay(sessions, options.concurrency);
  }
  return { ...check, ms: Math.round(performance.now() - t0) };
}
