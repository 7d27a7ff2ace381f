import type { HostSession } from '../facts/host-session.js';
import { fanOut } from '../transport/fan-out.js';
import { askAgent, NOT_ANSWERING } from './agent-view.js';
import type { ExpectedVersions } from './agent-versions.js';
import { overlayAgreement, type AgentAnswer, type OverlayAgreement, type TopologyNodes, type UnbornGroups } from './convergence.js';

/** How often the agents are asked again while the overlay has not converged. */
export const POLL_INTERVAL_MS = 500;

/** One look at the overlay: every asked agent's answer and what they agree on. */
export interface OverlayCheck {
  agreement: OverlayAgreement;
  answers: AgentAnswer[];
  /** How long the polling took, first question to last answer. */
  ms: number;
}

/**
 * Asks every agent once, over the given connections, and judges their answers; `gone`: the nodes
 * whose agent the run removed, no super peer whoever names them; `unborn`: the groups whose first
 * election cannot happen yet, not judged while they have no super peer; `topology`: the nodes a
 * super peer may be, per sub-grid; `expected`: the version each agent must run, the one installed on its host
 * (overlayAgreement). `signal` and `deadline` bound each question
 * (askAgent).
 */
export async function askOverlay(sessions: readonly HostSession[], options: AskOptions): Promise<Omit<OverlayCheck, 'ms'>> {
  const bound = { ...(options.signal ? { signal: options.signal } : {}), ...(options.deadline !== undefined ? { deadline: options.deadline } : {}) };
  const views = await fanOut(sessions, (s) => s.node.name, (s, signal) => askAgent(s.transport, s.node.settings.agent, { ...bound, signal }), { concurrency: options.concurrency, ...(options.signal ? { signal: options.signal } : {}) });
  const answers: AgentAnswer[] = sessions.map((s, i) => {
    const outcome = views[i]!;
    return { node: s.node.name, region: s.node.region, subgrid: s.node.subgrid, view: outcome.status === 'ok' ? outcome.value : NOT_ANSWERING };
  });
  return { agreement: overlayAgreement(answers, options.gone, options.unborn, options.topology, options.expected), answers };
}

interface AskOptions {
  concurrency: number;
  deadline?: number;
  signal?: AbortSignal;
  gone?: ReadonlySet<string>;
  unborn?: UnbornGroups;
  topology?: TopologyNodes;
  expected?: ExpectedVersions;
}

/**
 * The one polling loop of gridops: apply's verify phase, the rolling gate and `status --wait`
 * all use it. Asks every agent every POLL_INTERVAL_MS until the overlay has converged (the one
 * definition, overlayAgreement), the deadline passes, or the run is interrupted. With no
 * deadline it asks once.
 */
export async function pollOverlay(sessions: readonly HostSession[], options: AskOptions & { stableForMs?: number }): Promise<OverlayCheck> {
  const t0 = performance.now();
  const more = () => options.deadline !== undefined && Date.now() < options.deadline && !options.signal?.aborted;
  let check = await askOverlay(sessions, options);
  // With stableForMs, converged is not enough: the same super and region peers must be agreed on
  // at every ask for that long (Consul autopilot's stabilization, Kubernetes' minReadySeconds).
  let stableSince = check.agreement.converged ? Date.now() : null;
  const settled = () => stableSince !== null && Date.now() - stableSince >= (options.stableForMs ?? 0);
  while (!settled() && more()) {
    await pause(POLL_INTERVAL_MS, options.signal);
    const next = await askOverlay(sessions, options);
    const same = next.agreement.converged && check.agreement.converged && samePeers(next.agreement, check.agreement);
    stableSince = next.agreement.converged ? (same && stableSince !== null ? stableSince : Date.now()) : null;
    check = next;
  }
  // Worded to follow "waiting for" (the apply summary) as the other entries do.
  const held = stableSince === null ? '' : ` (held ${((Date.now() - stableSince) / 1000).toFixed(1)} s so far)`;
  const agreement = settled() || !options.stableForMs ? check.agreement : { ...check.agreement, converged: false, waitingFor: [...check.agreement.waitingFor, `the same super and region peers for ${Math.round(options.stableForMs / 1000)} s${held}`] };
  return { ...check, agreement, ms: Math.round(performance.now() - t0) };
}

function samePeers(a: OverlayAgreement, b: OverlayAgreement): boolean {
  return JSON.stringify([a.superPeers, a.regionPeers]) === JSON.stringify([b.superPeers, b.regionPeers]);
}

/** Waits `ms`, or less once `signal` aborts (Ctrl-C ends the poll, not the pause after it). */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    if (signal?.aborted) done();
    else signal?.addEventListener('abort', done, { once: true });
  });
}
