import { Fleet, type HostSession } from '../engine/session.js';
import { readState, statePaths, type HostState } from '../state/state.js';
import { loadTopology } from '../topology/load.js';
import { allNodes, type Grid } from '../topology/model.js';
import { selectNodes } from '../topology/select.js';
import { fanOut } from '../transport/fan-out.js';
import { askAgent, type AgentView } from './agent-view.js';

export type { AgentView } from './agent-view.js';

export interface NodeStatus {
  node: string;
  address: string;
  region: string;
  subgrid: string;
  reachable: boolean;
  error?: string;
  os?: string;
  kernel?: string;
  cgroup?: string;
  cores?: number;
  memoryGiB?: number;
  /** `in-sync`: the last apply used this very topology and succeeded on this node. */
  applied: 'in-sync' | 'older-topology' | 'never' | 'failed';
  appliedAt?: string;
  agentVersion: string | null;
  agent?: AgentView;
}

export interface GridStatus {
  grid: string;
  nodes: NodeStatus[];
  reachable: number;
  inSync: number;
  /** Super peer per sub-grid, as reported by the agents (absent when no agent answers). */
  superPeers: Record<string, string[]>;
  /** Region peer per region, as reported by the agents. */
  regionPeers: Record<string, string[]>;
}

function appliedState(host: HostState | undefined, grid: Grid): NodeStatus['applied'] {
  if (!host || !host.appliedAt) return 'never';
  if (host.lastOutcome === 'failed') return 'failed';
  return host.topologyHash === grid.sourceHash ? 'in-sync' : 'older-topology';
}

async function agentView(session: HostSession): Promise<AgentView | undefined> {
  return session.facts.agentVersion ? askAgent(session.transport) : undefined;
}

/**
 * Connects to every node (or those `limit` selects: src/topology/select.ts), with verified host keys, reads facts, the recorded state and, where an
 * agent runs, its view of the overlay. With `wait`, keeps the connections and asks the agents
 * again every 500 ms until `until` holds or the deadline passes.
 */
export async function gridStatus(
  topologyFile: string,
  options: { concurrency: number; stateDir?: string; signal?: AbortSignal; wait?: { until: (status: GridStatus) => boolean; deadline: number }; limit?: readonly string[] },
): Promise<GridStatus> {
  const grid = await loadTopology(topologyFile);
  const nodes = options.limit ? selectNodes(grid, options.limit).nodes : allNodes(grid);
  const state = await readState(statePaths(topologyFile, grid.name, options.stateDir).state, grid.name);
  const fleet = new Fleet();
  try {
    const { sessions, unreachable } = await fleet.open(nodes, { concurrency: options.concurrency, acceptNewHostKeys: false, signal: options.signal });
    const snapshot = async (): Promise<GridStatus> => {
      const views = await fanOut(sessions, (s) => s.node.name, agentView, { concurrency: options.concurrency });
      const statuses: NodeStatus[] = nodes.map((node) => {
        const base = { node: node.name, address: node.address, region: node.region, subgrid: node.subgrid, applied: appliedState(state.hosts[node.name], grid), appliedAt: state.hosts[node.name]?.appliedAt };
        const i = sessions.findIndex((s) => s.node.name === node.name);
        if (i < 0) return { ...base, reachable: false, agentVersion: null, error: unreachable.find((u) => u.node.name === node.name)?.error.message };
        const { facts } = sessions[i]!;
        const view = views[i]!;
        return {
          ...base,
          reachable: true,
          os: `${facts.os.id} ${facts.os.versionId ?? ''}`.trim(),
          kernel: facts.kernel.release,
          cgroup: facts.cgroup,
          cores: facts.cpu.cores,
          memoryGiB: Math.round((facts.memoryBytes / 2 ** 30) * 10) / 10,
          agentVersion: facts.agentVersion,
          ...(view.status === 'ok' && view.value ? { agent: view.value } : {}),
        };
      });
      const superPeers: Record<string, string[]> = {};
      for (const s of statuses) if (s.agent?.role === 'super-peer') (superPeers[`${s.region}/${s.subgrid}`] ??= []).push(s.node);
      const regionPeers: Record<string, string[]> = {};
      for (const s of statuses) if (s.agent?.regionRole === 'region-peer') (regionPeers[s.region] ??= []).push(s.node);
      return { grid: grid.name, nodes: statuses, reachable: statuses.filter((s) => s.reachable).length, inSync: statuses.filter((s) => s.applied === 'in-sync').length, superPeers, regionPeers };
    };
    let status = await snapshot();
    while (options.wait && !options.wait.until(status) && Date.now() < options.wait.deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      status = await snapshot();
    }
    return status;
  } finally {
    await fleet.close();
  }
}

/**
 * Every node with an agent answers, every sub-grid that has agents has exactly one super peer,
 * and every region exactly one region peer.
 */
export function overlayConverged(status: GridStatus): boolean {
  const withAgent = status.nodes.filter((n) => n.agentVersion);
  if (withAgent.length === 0) return true;
  if (withAgent.some((n) => !n.agent || n.agent.role === 'not answering')) return false;
  const subgrids = new Set(withAgent.map((n) => `${n.region}/${n.subgrid}`));
  const regions = new Set(withAgent.map((n) => n.region));
  return [...subgrids].every((sg) => status.superPeers[sg]?.length === 1) && [...regions].every((r) => status.regionPeers[r]?.length === 1);
}
