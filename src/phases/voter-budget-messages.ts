import { PlanningError } from '../errors/index.js';

/** A sub-grid whose voters down leave no voter free to restart: its voter count and the voters down, by name. */
export interface VoterBlocked {
  subgrid: string;
  count: number;
  down: string[];
}

/**
 * The refusal of a rolling apply where voters down leave a sub-grid with changes no voter that may
 * restart with its super peer keeping a quorum: the same words before the question (from the
 * topology, check-rolling-budget) and before the first batch (from the voters the agents name,
 * check-named-voters).
 */
export function voterBudgetRefusal(blocked: readonly VoterBlocked[]): PlanningError {
  const why = blocked.map(({ subgrid, count, down }) => `${subgrid} and keep its super peer: ${down.join(', ')} ${down.length === 1 ? 'is' : 'are'} down (unreachable), counted as ${down.length === 1 ? 'one' : down.length} of its ${count} voters, and its super peer steps down when it hears fewer than ${Math.floor(count / 2) + 1} of them`);
  return new PlanningError(
    `--rolling cannot restart a voter of ${why.join('; nor of ')}; nothing was changed`,
    `bring ${blocked.flatMap((b) => b.down).join(', ')} back (reachable, agent running) and run again, or leave ${blocked.length === 1 ? 'that sub-grid' : 'those sub-grids'} out (--limit '${blocked.map((b) => `!${b.subgrid}`).join(',')}'); a node gone for good stops counting once the topology drops it`,
  );
}

/** The warning for a sub-grid of two voters `a` and `b`, each of which a rolling apply restarts alone. */
export function twoVotersWarning(subgrid: string, a: string, b: string): string {
  return `warning: ${subgrid} has two voters, ${a} and ${b}: --rolling restarts each alone, in a batch of its own, but one of two is no quorum, so ${subgrid} has no super peer until the restarted one is back (a few seconds); give the sub-grid a third node that may be super peer to keep one throughout`;
}
