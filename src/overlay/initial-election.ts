import { announcedScore } from '../agent/core/score.js';
import { hasAllFacts, type HostFacts } from '../facts/host-facts.js';
import type { Grid, SuperPeerPreference } from '../topology/model.js';
import { subgridKey } from '../topology/subgrid-key.js';

/**
 * The score a node ranks by in the first elections, from its capacity (cores, memory) and the
 * operator's preference; load and uptime are taken as idle and settled. gridops renders it into
 * the agent's config (`bootstrapScore`), and the agents rank their bootstrap election by it, so
 * the first super peers are the ones the plan shows. Once the config holds one, that one stays:
 * memory moves a little between runs (a crashkernel reservation, a VM resized; the score, rounded
 * to 0.1, moves every ~10 MiB at 16 GiB), and a new score would rewrite the config and restart an
 * agent for a number only a first election reads. A config written by any earlier gridops keeps
 * its score too, so an upgrade rewrites none for it. The written score holds the preference's factor
 * (×1.5 for prefer), so it is kept only while the config's `superPeer` is the topology's: after
 * auto→prefer a still-fresh node (a failed first bootstrap, an agent-rename) must rank as preferred.
 */
export function plannedBootstrapScore(facts: Pick<HostFacts, 'cpu' | 'memoryBytes' | 'writtenBootstrapScore' | 'writtenSuperPeer'>, preference: SuperPeerPreference): number {
  if (facts.writtenBootstrapScore !== null && facts.writtenSuperPeer === preference) return facts.writtenBootstrapScore;
  return announcedScore({ cores: facts.cpu.cores, memoryMiB: Math.floor(facts.memoryBytes / 2 ** 20), load: 0, uptimeSec: 3600 }, preference);
}

export interface RankedNode {
  node: string;
  score: number;
  cores: number;
  memoryGiB: number;
  preference: SuperPeerPreference;
}

export interface SubgridElection {
  region: string;
  subgrid: string;
  /**
   * `initial`: no node runs an agent yet (as read, and as the state recorded), and this run starts
   * some, so the first election will follow `ranking`.
   * `running`: agents already run; they keep their super peer (see `gridops status`).
   * `no-candidate`: no reachable node this run starts an agent on may stand.
   */
  status: 'initial' | 'running' | 'no-candidate';
  superPeer: string | null;
  /** Reachable nodes this run starts an agent on that may stand, best first (the agents' order: score, then name). */
  ranking: RankedNode[];
  /** Nodes of the run whose facts are unknown (unreachable), left out of the ranking. */
  unknown: string[];
  /** Nodes the run did not select (`--limit`), left out of the ranking: reachable or not, it did not ask. Absent from plans saved by an earlier gridops. */
  outsideLimit?: string[];
  /** The nodes its first election waits for, whose agent no run has deployed yet (`--limit`: first-election-waits.ts); absent when the run's voters can elect. */
  waitsFor?: string[];
}

export interface RegionElection {
  region: string;
  /**
   * `initial` only when every sub-grid of the region starts fresh in this run; `running` when
   * agents already run in one of its sub-grids (or it elected); `not-planned` when none runs yet
   * but the run does not start them all (`--limit`, a run that deploys no agent there).
   */
  status: 'initial' | 'running' | 'no-candidate' | 'not-planned';
  regionPeer: string | null;
  /** The sub-grids its first election waits for, none of whose nodes can vote it in yet (first-election-waits.ts); absent when it can happen. */
  waitsFor?: string[];
  /** Those of `waitsFor` with a node the run selected but did not reach: said unreachable, not outside --limit; absent when none. */
  unreachable?: string[];
}

export interface InitialElection {
  subgrids: SubgridElection[];
  regions: RegionElection[];
}

/**
 * What the state knows already ran (state/group-births.ts gives it): nodes that ran an agent
 * (recordRanAgent), sub-grids (`region/sub-grid`) and regions that elected.
 */
export interface RecordedAgents {
  withAgent: ReadonlySet<string>;
  electedSubgrids: ReadonlySet<string>;
  electedRegions: ReadonlySet<string>;
}

/**
 * What the election knows of the run besides the facts it read. Left out, each stands for a whole
 * fresh grid read in full: every node selected, an agent started on every node read in full, and
 * nothing ran before.
 */
export interface ElectionScope {
  /** The nodes this run selected (`--limit`): a node of the run not read is unreachable; any other node was not asked. */
  selected?: ReadonlySet<string>;
  /** The nodes where this run manages gridagent.service (overlay/agent-hosts.ts): the first elections it starts. */
  startsAgent?: ReadonlySet<string>;
  /** What the state says already ran: a sub-grid the plan read no agent in may still run agents (outside --limit, or not answering). */
  recorded?: RecordedAgents;
}

/** The agents' order (src/agent/core/group/context.ts, outranks): higher score first, ties to the lowest name in byte order (not the topology's order). */
function outranks(a: RankedNode, b: RankedNode): number {
  return a.score !== b.score ? b.score - a.score : a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

/**
 * Step 3 of apply (DESIGN.md): the initial super peer of each sub-grid and region peer of each
 * region, elected from facts, deterministically. Pure: the same grid, facts and scope give the same
 * answer. A sub-grid with no node of the run (`--limit`) is outside the run and not reported (it is
 * not "without a candidate"), nor is a region with none. Only a first election this run starts is
 * planned: a sub-grid where agents run (read now, or recorded in the state) keeps its super peer,
 * and one where this run starts no agent (`--playbook node-base`) is not its to elect.
 */
export function electInitial(grid: Grid, facts: ReadonlyMap<string, HostFacts>, scope: ElectionScope = {}): InitialElection {
  const { selected, startsAgent, recorded } = scope;
  const inRun = (node: string) => !selected || selected.has(node);
  const starts = (node: string) => (startsAgent ? startsAgent.has(node) : facts.has(node) && hasAllFacts(facts.get(node)!));
  const subgrids: SubgridElection[] = [];
  const regions: RegionElection[] = [];
  for (const region of grid.regions) {
    const winners: RankedNode[] = [];
    let allInitial = true;
    let regionRuns = recorded?.electedRegions.has(region.name) ?? false;
    for (const subgrid of region.subgrids) {
      const running = subgrid.nodes.some((n) => facts.get(n.name)?.agentVersion != null || recorded?.withAgent.has(n.name)) || (recorded?.electedSubgrids.has(subgridKey({ region: region.name, subgrid: subgrid.name })) ?? false);
      if (running) regionRuns = true;
      // A sub-grid outside the run may already run agents (the state says whether): the region's peer cannot be planned.
      if (!subgrid.nodes.some((n) => inRun(n.name))) {
        allInitial = false;
        continue;
      }
      const unread = subgrid.nodes.filter((n) => !facts.has(n.name)).map((n) => n.name);
      const notRanked = { unknown: unread.filter(inRun), outsideLimit: unread.filter((n) => !inRun(n)) };
      // A running sub-grid keeps its super peer: nothing to rank (and a read that needed only the
      // agent's version gathered no other fact of its nodes).
      if (running) {
        allInitial = false;
        subgrids.push({ region: region.name, subgrid: subgrid.name, status: 'running', superPeer: null, ranking: [], ...notRanked });
        continue;
      }
      const known = subgrid.nodes.filter((n) => facts.has(n.name));
      // This run starts no agent here, or read only the agent's version of some node (nothing it
      // runs there used other facts): the sub-grid's first election is not this run's to plan, nor its region's.
      if (!subgrid.nodes.some((n) => starts(n.name)) || known.some((n) => !hasAllFacts(facts.get(n.name)!))) {
        allInitial = false;
        continue;
      }
      const ranking = known
        .filter((n) => n.superPeer !== 'never' && starts(n.name))
        .map((n): RankedNode => {
          const f = facts.get(n.name)!;
          return { node: n.name, score: plannedBootstrapScore(f, n.superPeer), cores: f.cpu.cores, memoryGiB: Math.round((f.memoryBytes / 2 ** 30) * 10) / 10, preference: n.superPeer };
        })
        .sort(outranks);
      const status = ranking.length === 0 ? 'no-candidate' : 'initial';
      if (status === 'initial') winners.push(ranking[0]!);
      else allInitial = false;
      subgrids.push({ region: region.name, subgrid: subgrid.name, status, superPeer: status === 'initial' ? ranking[0]!.node : null, ranking, ...notRanked });
    }
    if (!region.subgrids.some((s) => s.nodes.some((n) => inRun(n.name)))) continue;
    const regionPeer = allInitial && winners.length ? [...winners].sort(outranks)[0]!.node : null;
    regions.push({ region: region.name, status: regionRuns ? 'running' : regionPeer !== null ? 'initial' : allInitial ? 'no-candidate' : 'not-planned', regionPeer: regionRuns ? null : regionPeer });
  }
  return { subgrids, regions };
}
