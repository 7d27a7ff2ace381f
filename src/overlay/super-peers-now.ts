import type { AgentAnswer } from './convergence.js';

/**
 * The nodes whose agents answer as a super peer now. A rolling apply asks this before its first
 * batch and again after every gate: the role moves (a handover, an election), and a batch made
 * from an old answer restarts a super peer as an ordinary node (review H3).
 */
export function superPeersNow(answers: readonly AgentAnswer[]): Set<string> {
  return new Set(answers.filter((a) => a.view.role === 'super-peer').map((a) => a.node));
}
