import { announcedScore } from '../agent/core/score.js';
import { hasAllFacts, type HostFacts } from '../facts/host-facts.js';
import type { Grid, SuperPeerPreference } from '../topology/model.js';

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
   * `initial`: no node runs an agent yet, so the first election will follow `ranking`.
   * `running`: agents already run; they keep their super peer (see `gridops status`).
   * `no-candidate`: no reachable node may stand.
   */
  status: 'initial' | 'running' | 'no-candidate';
  superPeer: string | null;
  /** Reachable nodes that may stand, best first (the agents' order: score, then name). */
  ranking: RankedNode[];
  /** Nodes whose facts are unknown (unreachable), left out of the ranking. */
  unknown: string[];
  /** The nodes its first election waits for, whose agent no run has deployed yet (`--limit`: first-election-waits.ts); absent when the run's voters can elect. */
  waitsFor?: string[];
}

export interface RegionElection {
  region: string;
  /** `initial` only when every sub-grid of the region starts fresh. */
  status: 'initial' | 'running' | 'no-candidate';
  regionPeer: string | null;
  /** The sub-grids its first election waits for, none of whose nodes can vote it in yet (first-election-waits.ts); absent when it can happen. */
  waitsFor?: string[];
}

export interface InitialElection {
  subgrids: SubgridElection[];
  regions: RegionElection[];
}

/** The agents' order (src/agent/core/group/context.ts, outranks): higher score first, ties to the lowest name in byte order (not the topology's order). */
function outranks(a: RankedNode, b: RankedNode): number {
  return a.score !== b.score ? b.score - a.score : a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

/**
 * Step 3 of apply (DESIGN.md): the initial super peer of each sub-grid and region peer of each
 * region, elected from facts, deterministically. Pure: the same grid and facts give the same answer.
 * `inRun` names the nodes this run works on (`--limit`): a sub-grid with none of them is outside
 * the run and not reported (it is not "without a candidate"), nor is a region with none of them.
 */
export function electInitial(grid: Grid, facts: ReadonlyMap<string, HostFacts>, inRun?: ReadonlySet<string>): InitialElection {
  const subgrids: SubgridElection[] = [];
  const regions: RegionElection[] = [];
  for (const region of grid.regions) {
    const winners: RankedNode[] = [];
    let allInitial = true;
    const subgridsInRun = region.subgrids.filter((s) => !inRun || s.nodes.some((n) => inRun.has(n.name)));
    if (subgridsInRun.length === 0) continue;
    // A sub-grid outside the run may already run agents: the region's peer cannot be planned.
    if (subgridsInRun.length < region.subgrids.length) allInitial = false;
    for (const subgrid of subgridsInRun) {
      const known = subgrid.nodes.filter((n) => facts.has(n.name));
      const running = known.some((n) => facts.get(n.name)!.agentVersion !== null);
      // This run read only the agent's version of some node here (nothing it runs there used other
      // facts): the sub-grid's first election is not this run's to plan, nor its region's.
      if (!running && known.some((n) => !hasAllFacts(facts.get(n.name)!))) {
        allInitial = false;
        continue;
      }
      // A running sub-grid keeps its super peer: nothing to rank (and a read that needed only the
      // agent's version gathered no other fact of its nodes).
      const ranking = (running ? [] : known)
        .filter((n) => n.superPeer !== 'never')
        .map((n): RankedNode => {
          const f = facts.get(n.name)!;
          return { node: n.name, score: plannedBootstrapScore(f, n.superPeer), cores: f.cpu.cores, memoryGiB: Math.round((f.memoryBytes / 2 ** 30) * 10) / 10, preference: n.superPeer };
        })
        .sort(outranks);
      const status = running ? 'running' : ranking.length === 0 ? 'no-candidate' : 'initial';
      if (status !== 'initial') allInitial = false;
      if (status === 'initial') winners.push(ranking[0]!);
      subgrids.push({ region: region.name, subgrid: subgrid.name, status, superPeer: status === 'initial' ? ranking[0]!.node : null, ranking, unknown: subgrid.nodes.filter((n) => !facts.has(n.name)).map((n) => n.name) });
    }
    const regionPeer = allInitial && winners.length ? [...winners].sort(outranks)[0]!.node : null;
    regions.push({ region: region.name, status: regionPeer !== null ? 'initial' : allInitial ? 'no-candidate' : 'running', regionPeer });
  }
  return { subgrids, regions };
}
