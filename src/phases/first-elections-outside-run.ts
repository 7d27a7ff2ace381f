import { firstElectionWaits, firstElectionWaitTexts, outsideTheRun, type BirthElectorates, type FirstElectionWaits } from '../overlay/first-election-waits.js';
import { groupBirths } from '../state/group-births.js';
import { subgridKey } from '../topology/subgrid-key.js';
import { agentSessions } from './agent-sessions.js';
import type { RunContext } from './run-context.js';

/**
 * The first elections of this run's sub-grids and regions that wait for voters no run has given an
 * agent yet (overlay/first-election-waits.ts): `apply --limit a1` on a new sub-grid of a1, a2, a3
 * gave a1 a bootstrap electorate of three, and a1 alone cannot elect. Voting: the agents this run
 * asks, and those the state says run, less `gone` (the agents this run removed). The electorates
 * are the ones this run rendered into its hosts' bootstrap.json (state/group-births.ts).
 */
export async function firstElectionsOutsideRun(ctx: RunContext, gone: ReadonlySet<string>): Promise<FirstElectionWaits> {
  const electorates = { subgrids: new Map(), regions: new Map() } satisfies BirthElectorates;
  const asked = new Set(agentSessions(ctx).map((s) => s.node.name));
  for (const p of ctx.planned) {
    if (!asked.has(p.session.node.name)) continue;
    if (p.bootstrap?.subgrid) electorates.subgrids.set(subgridKey(p.session.node), p.bootstrap.subgrid);
    if (p.bootstrap?.region) electorates.regions.set(p.session.node.region, p.bootstrap.region);
  }
  // No group of the run is being born (the usual run on a grid that elected): nothing waits.
  if (electorates.subgrids.size === 0 && electorates.regions.size === 0) return { subgrids: new Map(), regions: new Map() };
  const births = groupBirths(await ctx.recordedState());
  const voting = new Set([...asked, ...births.withAgent].filter((n) => !gone.has(n)));
  return firstElectionWaits(ctx.grid, electorates, voting, { subgrids: births.electedSubgrids, regions: births.electedRegions }, births.subgridElectorates);
}

/**
 * One line per group whose first election waits, for the run to say (the wait is no overlay
 * problem, and more time cannot help): "r1/a: its first election waits for a2, a3 (outside --limit)",
 * "r1: its first election waits for sub-grid b (outside --limit)" (or "(unreachable)", where the run
 * selected b's nodes and did not reach them).
 */
export function firstElectionWaitLines(ctx: Pick<RunContext, 'options' | 'unreachable'>, waits: FirstElectionWaits): string[] {
  const notReached = { nodes: new Set(ctx.unreachable.map((u) => u.node.name)), subgrids: (region: string) => subgridsNotReached(ctx, region) };
  return [...firstElectionWaitTexts(waits, outsideTheRun(ctx.options), notReached)].map(([group, text]) => `${group}: ${text}`);
}

/**
 * The sub-grids of `region` (names) with a node this run selected but did not reach: a region's
 * first election waiting for one waits for no `--limit`, only for the run to reach it
 * (regionWaitText says "(unreachable)", as a sub-grid's line says of its nodes).
 */
export function subgridsNotReached(ctx: Pick<RunContext, 'unreachable'>, region: string): ReadonlySet<string> {
  return new Set(ctx.unreachable.filter((u) => u.node.region === region).map((u) => u.node.subgrid));
}
