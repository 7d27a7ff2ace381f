import { PlanningError } from '../errors/index.js';
import type { VoterDown } from '../overlay/voters-down.js';

/** A sub-grid whose voters down leave no voter free to restart: its voters (the super peer first, where the agents named them), their count, and the voters down, with why. */
export interface VoterBlocked {
  subgrid: string;
  count: number;
  down: VoterDown[];
  /** The super peer the agents name, to say what a voter outside the run is to it. */
  superPeer?: string;
  /** Before the agents are asked: how many of `down` are surely voters, where fewer than all (rollout-sizes' fewestVotersDown). */
  surelyVoters?: number;
}

const listed = (names: readonly string[]) => (names.length <= 2 ? names.join(' and ') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`);
const isAre = (names: readonly string[]) => (names.length === 1 ? 'is' : 'are');

/** Why the voters (or nodes) down of one sub-grid count as down, grouped by reason, e.g. `n3 is down (unreachable)`. */
function whyDown({ down, superPeer }: Pick<VoterBlocked, 'down' | 'superPeer'>): string {
  const named = (why: VoterDown['why']) => down.filter((d) => d.why === why).map((d) => d.name);
  const clauses: string[] = [];
  const unreachable = named('unreachable');
  if (unreachable.length) clauses.push(`${listed(unreachable)} ${isAre(unreachable)} down (unreachable)`);
  const its = (names: readonly string[]) => (names.length === 1 ? 'its' : 'their');
  for (const why of ['dead', 'suspect'] as const) {
    const names = named(why);
    if (names.length) clauses.push(`${listed(names)} ${isAre(names)} outside this run and ${why} to ${its(names)} super peer${superPeer ? ` ${superPeer}` : ''}`);
  }
  const unlisted = named('unlisted');
  if (unlisted.length) clauses.push(`${listed(unlisted)} ${isAre(unlisted)} outside this run, ran the agent, and ${its(unlisted)} super peer${superPeer ? ` ${superPeer}` : ''} no longer lists ${unlisted.length === 1 ? 'it' : 'them'}`);
  const unknown = named('unknown');
  if (unknown.length) clauses.push(`${listed(unknown)} ${isAre(unknown)} outside this run and no agent it reached can say ${unknown.length === 1 ? 'it is' : 'they are'} up`);
  return clauses.join(', and ');
}

/**
 * The refusal of a rolling apply where voters down leave a sub-grid with changes no voter that may
 * restart with its super peer keeping a quorum: the same words before the question (from the
 * topology, check-rolling-budget) and before the first batch (from the voters the agents name,
 * check-named-voters). A voter outside the run whose liveness nobody reached could tell is fixed
 * by reaching its super peer, so the hint says to include it.
 */
export function voterBudgetRefusal(blocked: readonly VoterBlocked[]): PlanningError {
  const counted = (b: VoterBlocked) =>
    b.surelyVoters !== undefined && b.surelyVoters < b.down.length ? `at least ${b.surelyVoters === 1 ? 'one' : b.surelyVoters} of them among its ${b.count} voters` : `counted as ${b.down.length === 1 ? 'one' : b.down.length} of its ${b.count} voters`;
  const why = blocked.map((b) => `${b.subgrid} and keep its super peer: ${whyDown(b)}, ${counted(b)}, and its super peer steps down when it hears fewer than ${Math.floor(b.count / 2) + 1} of them`);
  const all = blocked.flatMap((b) => b.down);
  const bring = all.filter((d) => d.why !== 'unknown').map((d) => d.name);
  const include = [...new Set(blocked.filter((b) => b.down.some((d) => d.why === 'unknown')).map((b) => b.superPeer ?? b.down.find((d) => d.why === 'unknown')!.name))];
  const todo = [
    ...(bring.length ? [`bring ${bring.join(', ')} back (${all.some((d) => d.why === 'unreachable') ? 'reachable, ' : ''}agent running) and run again`] : []),
    ...(include.length ? [`include the super peer${include.length === 1 ? '' : 's'} ${include.join(', ')} in --limit (or run without --limit), so that ${include.length === 1 ? 'it says' : 'they say'} which voters are alive, and run again`] : []),
  ];
  return new PlanningError(
    `--rolling cannot restart a voter of ${why.join('; nor of ')}; nothing was changed`,
    `${todo.join(', or ')}, or leave ${blocked.length === 1 ? 'that sub-grid' : 'those sub-grids'} out (--limit '${blocked.map((b) => `!${b.subgrid}`).join(',')}')${bring.length ? '; a node gone for good stops counting once the topology drops it' : ''}`,
  );
}

/** A sub-grid whose nodes down leave no restart within rollout.maxUnavailable: its size, and its nodes down, with why. */
export interface NodesBlocked {
  subgrid: string;
  size: number;
  down: VoterDown[];
  superPeer?: string;
}

/**
 * The refusal of a rolling apply where the nodes already down use up a sub-grid's maxUnavailable
 * (`shownMax`, as the topology wrote it): before the question from the nodes this run could not
 * reach (check-rolling-budget), and before the first batch from those outside the run that the
 * reached registry hears down too (check-named-voters).
 */
export function nodeBudgetRefusal(blocked: readonly NodesBlocked[], shownMax: string): PlanningError {
  const why = blocked.map((b) => `${b.subgrid} and keep it serving: ${whyDown(b)}, ${b.down.length} of its ${b.size} nodes, and rollout.maxUnavailable is ${shownMax}`);
  const all = blocked.flatMap((b) => b.down);
  return new PlanningError(
    `--rolling cannot restart any node of ${why.join('; nor of ')}; nothing was changed`,
    `bring ${all.map((d) => d.name).join(', ')} back (${all.some((d) => d.why === 'unreachable') ? 'reachable, ' : ''}agent running) and run again, or leave ${blocked.length === 1 ? 'that sub-grid' : 'those sub-grids'} out (--limit '${blocked.map((b) => `!${b.subgrid}`).join(',')}'); a node gone for good stops counting once the topology drops it`,
  );
}

/** The warning for a sub-grid of two voters `a` and `b`, each of which a rolling apply restarts alone. */
export function twoVotersWarning(subgrid: string, a: string, b: string): string {
  return `${subgrid} has two voters, ${a} and ${b}: --rolling restarts each alone, in a batch of its own, but one of two is no quorum, so ${subgrid} has no super peer until the restarted one is back (a few seconds); give the sub-grid a third node that may be super peer to keep one throughout`;
}

/**
 * The warning for a sub-grid of several nodes with one voter (`why`: why the others do not vote),
 * whose super peer a rolling apply restarts: the node count alone (check-rolling-budget's one-node
 * warning) missed it, and a voter alone has no successor to hand its role to. Two more voters make
 * a quorum (2 of 3) that holds through one restart.
 */
export function oneVoterWarning(subgrid: string, voter: string, why: string): string {
  return `${subgrid} has one voter, ${voter} (${why}): --rolling restarts its agent with no other voter to hand the super peer role to, so ${subgrid} has no super peer until ${voter} is back (a few seconds); let two more of its nodes be super peer to keep one throughout`;
}
