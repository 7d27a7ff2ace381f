import { becomeFor } from '../engine/become.js';
import { messageUnder } from '../errors/index.js';
import { openSessions } from '../facts/host-session.js';
import type { AgentView } from '../overlay/agent-view.js';
import type { OverlayAgreement } from '../overlay/convergence.js';
import { firstElectionWaitTexts, outsideTheRun, type FirstElectionWaits } from '../overlay/first-election-waits.js';
import { pollOverlay } from '../overlay/poll.js';
import { topologyNodesBySubgrid } from '../overlay/topology-nodes.js';
import { gridPlaybooks } from '../phases/workflow-playbooks.js';
import { syncState, type SyncState } from '../state/expected-in-sync.js';
import { readState, statePaths, type HostState } from '../state/state.js';
import { recordedNodes } from '../state/recorded-nodes.js';
import { loadTopology } from '../topology/load.js';
import { allNodes, type Grid, type Node } from '../topology/model.js';
import { Fleet, type ConnectOptions } from '../transport/fleet.js';
import { selectNodes } from '../topology/select.js';
import { subgridKey } from '../topology/subgrid-key.js';
import type { Transport } from '../transport/transport.js';
import { expectedAgent, recordedAgentVersions } from './expected-agent.js';
import { firstElectionsWaiting } from './first-elections-waiting.js';
import { statusPeers } from './status-peers.js';
import { SANDBOX_STATUS_SCRIPT, parseSandboxView, type SandboxView } from './sandbox-view.js';

export type { AgentView } from '../overlay/agent-view.js';

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
  /**
   * `in-sync`: the last apply used this very topology, the node's workflow (the same playbooks) and
   * this gridops, succeeded on this node and left no handler owed; else why not (state/expected-in-sync.ts,
   * the definition apply uses too). `status --json` prints it: its first versions gave only `in-sync`,
   * `older-topology`, `other-playbooks`, `never` and `failed`, and `skipped`, `handlers-owed`,
   * `older-gridops` and `newer-gridops` came in later gridops versions, so a script that reads it
   * should take any value but `in-sync` as not in sync, one it does not know included.
   */
  applied: SyncState;
  appliedAt?: string;
  /** The handlers an interrupted or failed run owes the node, which the next apply runs; absent when none. */
  pendingHandlers?: string[];
  /**
   * With `applied: 'older-gridops'` or `'newer-gridops'`: the version of the gridops that last ran
   * there (applied or failed: a newer gridops' failed first run records its version too).
   */
  appliedWithGridops?: string;
  agentVersion: string | null;
  /**
   * Set where the state says the node ran gridagent (expected-agent.ts), with the agent version it
   * records after its last run (null: not recorded): `--strict` fails a node where none runs, or
   * another version than a recorded one, and `--wait`/`--strict` a sub-grid where none runs at all.
   */
  agentExpected?: { recordedVersion: string | null };
  agent?: AgentView;
  /** On nodes with hypervisor.enabled: the sandbox VM's state, type, vcpus and memory. */
  sandbox?: SandboxView;
}

export interface GridStatus {
  grid: string;
  nodes: NodeStatus[];
  reachable: number;
  inSync: number;
  /** Super peer per sub-grid, as reported by the agents: those that answer as such, else the one its members name (status-peers.ts); absent when none. */
  superPeers: Record<string, string[]>;
  /** Region peer per region, as reported by the agents, the same way. */
  regionPeers: Record<string, string[]>;
  /** Whether the agents agree on one overlay (the definition apply's verify uses); absent when no node runs an agent. */
  overlay?: OverlayAgreement;
  /**
   * By `region/sub-grid` or region: the groups of the selected nodes without a super peer (region
   * peer) whose first election waits for nodes where no agent runs yet, and whom it waits for, as
   * verify says it ("its first election waits for a2, a3 (no agent runs there yet)"). Not waited
   * for (no time can help); `--strict` fails them. Absent when none.
   */
  firstElectionWaits?: Record<string, string>;
}

/** What status says of a node's last apply: its SyncState, with what a node not in sync owes. */
function appliedState(record: HostState | undefined, grid: Grid, node: Node): Pick<NodeStatus, 'applied' | 'appliedAt' | 'pendingHandlers' | 'appliedWithGridops'> {
  const applied = syncState(record, grid.sourceHash, gridPlaybooks(grid, node));
  return {
    applied,
    appliedAt: record?.appliedAt,
    ...(record?.pendingHandlers?.length ? { pendingHandlers: record.pendingHandlers } : {}),
    ...(applied === 'older-gridops' || applied === 'newer-gridops' ? { appliedWithGridops: record!.gridopsVersion } : {}),
  };
}

/**
 * Connects to every node (or those `limit` selects: src/topology/select.ts), with verified host
 * keys, reads facts, the recorded state and, where an agent runs, its view of the overlay. With
 * `waitUntil`, keeps the connections and asks the agents again (overlay/poll, the loop apply's
 * verify uses) until the overlay has converged or the deadline passes. `warn` gets the warnings of
 * connecting (a line of ~/.ssh/config not applied), as a run's phases do.
 */
export async function gridStatus(
  topologyFile: string,
  options: { concurrency: number; stateDir?: string; signal?: AbortSignal; waitUntil?: number; connect?: (node: Node) => Promise<Transport>; limit?: readonly string[]; warn?: (message: string) => void; becomePrompt?: ConnectOptions['becomePrompt'] },
): Promise<GridStatus> {
  const grid = await loadTopology(topologyFile);
  const nodes = options.limit ? selectNodes(grid, options.limit).nodes : allNodes(grid);
  const state = await readState(statePaths(topologyFile, grid.name, options.stateDir).state, grid.name);
  const fleet = new Fleet();
  try {
    const { sessions, unreachable } = await openSessions(fleet, nodes, { concurrency: options.concurrency, acceptNewHostKeys: false, signal: options.signal, connect: options.connect, becomePrompt: options.becomePrompt, ...(options.warn ? { warn: options.warn } : {}) });
    const agents = sessions.filter((s) => s.facts.agentVersion);
    // A first election waiting for nodes no run gave an agent cannot happen however long --wait waits: not judged (as verify does), said below.
    const waits = firstElectionsWaiting(grid, state, new Set(agents.map((s) => s.node.name)));
    const unborn = { subgrids: new Set(waits.subgrids.keys()), regions: new Set(waits.regions.keys()) };
    // A super peer no node of the topology (nor one the state still records, a decommission or rename pending) is a dropped host's agent come back: not converged.
    const topology = topologyNodesBySubgrid([...allNodes(grid).map((n) => ({ name: n.name, region: n.region, subgrid: n.subgrid })), ...recordedNodes(state)]);
    // An agent still on another version than the last apply installed is not converged, as apply's verify judged it.
    const expected = recordedAgentVersions(state, nodes);
    const check = agents.length ? await pollOverlay(agents, { concurrency: options.concurrency, deadline: options.waitUntil, signal: options.signal, unborn, topology, expected }) : undefined;
    const views = new Map<string, AgentView>((check?.answers ?? []).map((a) => [a.node, a.view]));
    // The sandbox VMs, asked over the same connections, all at once; not after Ctrl-C, which ends them too (the status has only what was read by then).
    const sandboxes = new Map<string, SandboxView>(
      await Promise.all(
        sessions
          .filter((s) => s.node.settings.hypervisor.enabled && !options.signal?.aborted)
          .map(async (s): Promise<[string, SandboxView]> => {
            const r = await s.transport.exec(SANDBOX_STATUS_SCRIPT, { become: becomeFor(s.node, s.transport), timeoutMs: 20_000, ...(options.signal ? { signal: options.signal } : {}) }).catch((e: Error) => ({ stdout: '', stderr: e.message, code: 1 }));
            return [s.node.name, r.code === 0 ? parseSandboxView(r.stdout) : { state: `unknown (${r.stderr.trim().split('\n').pop() ?? 'error'})` }];
          }),
      ),
    );
    {
      const statuses: NodeStatus[] = nodes.map((node) => {
        const record = state.hosts[node.name];
        const agentExpected = expectedAgent(record);
        const base = { node: node.name, address: node.address, region: node.region, subgrid: node.subgrid, ...appliedState(record, grid, node), ...agentExpected };
        const i = sessions.findIndex((s) => s.node.name === node.name);
        if (i < 0) {
          const u = unreachable.find((x) => x.node.name === node.name);
          // The status line names the node: its error does not again.
          return { ...base, reachable: false, agentVersion: null, error: u && messageUnder(node.name, u.error.message) };
        }
        const { facts } = sessions[i]!;
        const view = views.get(node.name);
        return {
          ...base,
          reachable: true,
          os: `${facts.os.id} ${facts.os.versionId ?? ''}`.trim(),
          kernel: facts.kernel.release,
          cgroup: facts.cgroup,
          cores: facts.cpu.cores,
          memoryGiB: Math.round((facts.memoryBytes / 2 ** 30) * 10) / 10,
          agentVersion: facts.agentVersion,
          ...(view ? { agent: view } : {}),
          ...(sandboxes.has(node.name) ? { sandbox: sandboxes.get(node.name) } : {}),
        };
      });
      const { superPeers, regionPeers } = statusPeers(statuses, check?.agreement);
      const waiting = waitsStill(waits, nodes, check?.agreement);
      return { grid: grid.name, nodes: statuses, reachable: statuses.filter((s) => s.reachable).length, inSync: statuses.filter((s) => s.applied === 'in-sync').length, superPeers, regionPeers, ...(check ? { overlay: check.agreement } : {}), ...(waiting.size ? { firstElectionWaits: Object.fromEntries(waiting) } : {}) };
    }
  } finally {
    await fleet.close();
  }
}

/**
 * The first-election waits (firstElectionWaitTexts, in verify's words) of the groups status looked
 * at (a node of them selected) whose agents name no super peer (region peer): one whose agents
 * elected after all, though no verify recorded it, waits for nothing.
 */
function waitsStill(waits: FirstElectionWaits, selected: readonly Node[], agreement: OverlayAgreement | undefined): Map<string, string> {
  const texts = firstElectionWaitTexts(waits, outsideTheRun({}));
  const looked = new Set(selected.flatMap((n) => [subgridKey(n), n.region]));
  const elected = (group: string) => typeof (waits.subgrids.has(group) ? agreement?.superPeers[group] : agreement?.regionPeers[group]) === 'string';
  return new Map([...texts].filter(([group]) => looked.has(group) && !elected(group)));
}

/** The overlay has converged (overlay/convergence, the one definition), or no node runs an agent. */
export function overlayConverged(status: GridStatus): boolean {
  return status.overlay?.converged ?? true;
}
