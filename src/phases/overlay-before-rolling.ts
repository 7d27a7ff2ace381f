import { InterruptedError, OverlayNotConvergedError } from '../errors/index.js';
import { namedFew } from '../named-few.js';
import { NOT_ANSWERING, REJOIN_STEPS } from '../overlay/agent-view.js';
import { pollOverlay, type OverlayCheck } from '../overlay/poll.js';
import { hostHasWork } from '../plan/plan.js';
import { agentSessions } from './agent-sessions.js';
import { applyWithoutRollingFirst } from './apply-without-rolling.js';
import type { RunContext } from './run-context.js';
import { unbornGroupsOfRun } from './unborn-groups-of-run.js';
import { knownAgentNodes } from './known-agent-nodes.js';
import { sh } from '../transport/quote.js';
import { runFlags } from './run-flags.js';

/**
 * What a rolling apply starts from: the overlay of the agents that run now must have converged
 * (the one definition, overlay/convergence, as each gate asks), within `rollout.healthTimeout`.
 * The gates only ask agents gridops reaches, so an agent down or searching before the first batch
 * would otherwise go unseen while the batches take its sub-grid's other voters down (review B3).
 * Refused, nothing changed. Hosts whose agent this run installs are not asked: none runs yet.
 * Where an agent that does not answer is on a host with changes planned, the hint says to apply
 * that host without --rolling first: this refusal would otherwise send the user round in a circle.
 */
export async function overlayBeforeRolling(ctx: RunContext): Promise<OverlayCheck> {
  const sessions = agentSessions(ctx);
  const running = sessions.filter((s) => s.facts.agentVersion !== null);
  // Agents that search for the votes of nodes this run deploys (a first apply that reached only some) wait for a run that deploys those: --rolling never starts.
  const deployed = sessions.filter((s) => s.facts.agentVersion === null).map((s) => s.node.name);
  const deploys = deployed.length ? `; if they wait for nodes this run deploys (${namedFew(deployed)}), run apply without --rolling, which deploys them` : '';
  const timeoutMs = ctx.grid.rollout.healthTimeoutMs;
  // A sub-grid (region) whose first election waits for voters outside the run (`--limit a1` of a new a1, a2, a3) searches until a run deploys them: no overlay to refuse.
  const unborn = await unbornGroupsOfRun(ctx);
  const check = await pollOverlay(running, { concurrency: ctx.options.concurrency, deadline: Date.now() + timeoutMs, signal: ctx.options.signal, unborn, topology: knownAgentNodes(ctx, await ctx.recordedState()) });
  if (ctx.interrupted) throw new InterruptedError('interrupted while checking the overlay before the first batch; nothing was changed');
  if (check.agreement.converged) return check;
  // An agent that left the grid stays idle through any apply: only a rejoin on its node brings it back.
  const left = check.answers.filter((a) => a.view.role === 'left').map((a) => a.node);
  const rejoin = left.length ? `; ${left.join(', ')} left the grid (gridagent leave): run ${REJOIN_STEPS} there` : '';
  // An agent down on a host with changes planned (an upgrade that failed half-way) waits for those changes: bringing it back is an apply, which --rolling refuses until it answers.
  const withChanges = new Set(ctx.planned.filter((p) => hostHasWork(p.plan)).map((p) => p.session.node.name));
  const silent = check.answers.filter((a) => a.view.role === NOT_ANSWERING.role && withChanges.has(a.node)).map((a) => a.node);
  const one = silent.length === 1;
  const repair = silent.length ? `; ${namedFew(silent)} ${one ? 'has' : 'have'} changes planned and ${one ? 'its agent does' : 'their agents do'} not answer: ${applyWithoutRollingFirst(silent, ctx.options)}` : '';
  throw new OverlayNotConvergedError(
    `--rolling needs a converged overlay to start from, and it did not converge within ${Math.round(timeoutMs / 1000)} s: ${check.agreement.waitingFor.slice(0, 5).join('; ')}; nothing was changed`,
    `see \`${sh(['gridops', 'status', ctx.options.topologyFile, ...runFlags(ctx.options)])}\`; bring back the agents it names (or let an election under way end) and run again${deploys}${rejoin}${repair}`,
  );
}
