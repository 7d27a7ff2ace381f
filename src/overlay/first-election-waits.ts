import { bootstrapQuorum } from '../agent/core/view.js';
import { birthElectorate } from './birth-electorate.js';
import type { Grid } from '../topology/model.js';
import type { InitialElection } from './initial-election.js';

/** The birth electorates of the groups still being born, as their agents were given them (bootstrap.json). */
export interface BirthElectorates {
  /** Per `region/sub-grid`: its first-bootstrap electorate (node names). */
  subgrids: ReadonlyMap<string, readonly string[]>;
  /** Per region: its first-bootstrap electorate (sub-grid names). */
  regions: ReadonlyMap<string, readonly string[]>;
}

/** The groups whose first election cannot happen yet, each with the voters it waits for. */
export interface FirstElectionWaits {
  /** Per `region/sub-grid`: the nodes of its electorate whose agent does not run. */
  subgrids: ReadonlyMap<string, string[]>;
  /** Per region: the sub-grids of its electorate that have no super peer to vote with. */
  regions: ReadonlyMap<string, string[]>;
}

/**
 * Which first elections cannot happen with the agents that run: a bootstrap needs the votes of a
 * quorum of its electorate (bootstrapQuorum, the agents' own rule), and a voter whose agent does
 * not run (a node no run has applied yet, say one outside `--limit`) casts none. A region's voters
 * are its sub-grids' super peers: a sub-grid votes once it elected, or when its agents run and its
 * own first election can happen. `voting`: the nodes whose agent runs; `elected`: the sub-grids
 * (`region/sub-grid`) and regions whose first election a recorded overlay saw; `recorded`: the
 * first-bootstrap electorates the state keeps per sub-grid (group-births.ts), which decide whether
 * a sub-grid outside this run's electorates can elect: one an earlier `--limit` left short of a
 * quorum searches still, and has no super peer to vote with. Pure.
 */
export function firstElectionWaits(grid: Grid, electorates: BirthElectorates, voting: ReadonlySet<string>, elected: { subgrids: ReadonlySet<string>; regions: ReadonlySet<string> }, recorded: ReadonlyMap<string, readonly string[]> = new Map()): FirstElectionWaits {
  const subgrids = new Map<string, string[]>();
  for (const [key, electorate] of electorates.subgrids) {
    if (elected.subgrids.has(key)) continue;
    if (!enoughVoters(electorate, voting)) subgrids.set(key, electorate.filter((n) => !voting.has(n)));
  }
  const regions = new Map<string, string[]>();
  for (const [name, electorate] of electorates.regions) {
    const region = grid.regions.find((r) => r.name === name);
    if (!region || elected.regions.has(name)) continue;
    const votes = (subgrid: string) => {
      const key = `${name}/${subgrid}`;
      const nodes = region.subgrids.find((s) => s.name === subgrid)?.nodes ?? [];
      if (elected.subgrids.has(key)) return true;
      const runsAgents = nodes.some((n) => voting.has(n.name));
      if (subgrids.has(key) || !runsAgents) return false;
      if (electorates.subgrids.has(key)) return true;
      // A sub-grid this run renders no electorate for was born in an earlier run, if at all: the
      // birth rule the bootstrap files follow says which electorate its first election has (its
      // record), or that it has none (no record: its agents signed in, and elect as any group does).
      // Not elected: one that elected voted above.
      const earlier = birthElectorate({ elected: false, recorded: recorded.get(key), runsAgents, members: nodes.map((n) => n.name) });
      return !earlier || enoughVoters(earlier, voting);
    };
    const voters = new Set(electorate.filter(votes));
    if (!enoughVoters(electorate, voters)) regions.set(name, electorate.filter((s) => !voters.has(s)));
  }
  return { subgrids, regions };
}

/** Whether enough of `electorate` (nodes, or a region's sub-grids) can vote to hold its first election (the agents' bootstrapQuorum). */
function enoughVoters(electorate: readonly string[], voting: ReadonlySet<string>): boolean {
  return electorate.filter((n) => voting.has(n)).length >= bootstrapQuorum(electorate.length);
}

/** Where the voters a first election waits for are, as a run says it: outside `--limit`, outside `--site`, or simply without an agent yet. */
export function outsideTheRun(run: { limit?: readonly string[]; site?: string }): string {
  return run.limit?.length ? 'outside --limit' : run.site !== undefined ? 'outside --site' : 'no agent runs there yet';
}

/**
 * "its first election waits for a2, a3 (outside --limit)": a sub-grid's, given the nodes it waits
 * for; those the run selected but did not reach (`unreachable`) are said so, "a2 (unreachable) and
 * a3 (outside --limit)", since no `--limit` left them out.
 */
export function subgridWaitText(nodes: readonly string[], outside: string, unreachable: ReadonlySet<string> = new Set()): string {
  const notReached = nodes.filter((n) => unreachable.has(n));
  const away = nodes.filter((n) => !unreachable.has(n));
  const parts = [...(notReached.length ? [`${notReached.join(', ')} (unreachable)`] : []), ...(away.length ? [`${away.join(', ')} (${outside})`] : [])];
  return `its first election waits for ${parts.join(' and ')}`;
}

/**
 * "its first election waits for sub-grid b (outside --limit)": a region's, given the sub-grids it
 * waits for; one whose own first election waits (`waitingToo`, names of the region's sub-grids) is
 * said so, since its nodes may well be in the run, and one the run selected nodes of but did not
 * reach (`unreachable`) is "(unreachable)", since no `--limit` left it out (as subgridWaitText
 * says of nodes).
 */
export function regionWaitText(subgrids: readonly string[], waitingToo: ReadonlySet<string>, outside: string, unreachable: ReadonlySet<string> = new Set()): string {
  const named = (names: string[], why: string) => `${names.length === 1 ? 'sub-grid' : 'sub-grids'} ${names.join(', ')} (${why})`;
  const waiting = subgrids.filter((s) => waitingToo.has(s));
  const notReached = subgrids.filter((s) => !waitingToo.has(s) && unreachable.has(s));
  const away = subgrids.filter((s) => !waitingToo.has(s) && !unreachable.has(s));
  const parts = [...(notReached.length ? [named(notReached, 'unreachable')] : []), ...(away.length ? [named(away, outside)] : []), ...(waiting.length ? [named(waiting, 'waiting too')] : [])];
  return `its first election waits for ${parts.join(' and ')}`;
}

/**
 * What each group whose first election waits says, by group (`region/sub-grid`, or region):
 * subgridWaitText's and regionWaitText's words, a region's sub-grid that waits itself "waiting
 * too". `notReached`: the nodes, and per region the sub-grids, the run selected and did not reach.
 * The one wording of verify, the rolling gates and `status`.
 */
export function firstElectionWaitTexts(waits: FirstElectionWaits, outside: string, notReached: { nodes: ReadonlySet<string>; subgrids: (region: string) => ReadonlySet<string> } = { nodes: new Set(), subgrids: () => new Set() }): Map<string, string> {
  const texts = new Map([...waits.subgrids].map(([key, nodes]) => [key, subgridWaitText(nodes, outside, notReached.nodes)]));
  for (const [region, subgrids] of waits.regions) {
    const waitingToo = new Set(subgrids.filter((s) => waits.subgrids.has(`${region}/${s}`)));
    texts.set(region, regionWaitText(subgrids, waitingToo, outside, notReached.subgrids(region)));
  }
  return texts;
}

/**
 * The plan's initial election with, on each first election that cannot happen in this run, whom it
 * waits for (the plan's caveat). A region `not-planned` (`--limit` on one of its new sub-grids) is
 * tagged too: verify says whom its vote waits for, and the plan says the same. `notReached`: per
 * region, its sub-grids with a node the run selected but did not reach (RegionElection.unreachable).
 */
export function withFirstElectionWaits(election: InitialElection, waits: FirstElectionWaits, notReached: (region: string) => ReadonlySet<string> = () => new Set()): InitialElection {
  return {
    subgrids: election.subgrids.map((s) => {
      const waitsFor = waits.subgrids.get(`${s.region}/${s.subgrid}`);
      return s.status === 'initial' && waitsFor ? { ...s, waitsFor } : s;
    }),
    regions: election.regions.map((r) => {
      const waitsFor = waits.regions.get(r.region);
      if (!waitsFor || (r.status !== 'initial' && r.status !== 'not-planned')) return r;
      const unreachable = waitsFor.filter((s) => notReached(r.region).has(s));
      return { ...r, waitsFor, ...(unreachable.length ? { unreachable } : {}) };
    }),
  };
}
