import { NOT_ANSWERING, REJOIN_STEPS, type AgentView } from './agent-view.js';
import { versionsNotRunning, type ExpectedVersions } from './agent-versions.js';

/** One node's answer, placed in the topology. */
export interface AgentAnswer {
  node: string;
  region: string;
  subgrid: string;
  view: AgentView;
}

/** Whether the agents asked agree on one overlay, and what they agree on. */
export interface OverlayAgreement {
  converged: boolean;
  /** Per `region/sub-grid`: the super peer every asked node of it follows, or null while they disagree or have none. */
  superPeers: Record<string, string | null>;
  /** Per region: the region peer that the region's super peers name, or null; absent when none of them was asked. */
  regionPeers: Record<string, string | null>;
  /** Why it has not converged, one line per node or group. Empty when converged. */
  waitingFor: string[];
}

const JOINED = new Set(['super-peer', 'mirror', 'member']);

const NONE_GONE: ReadonlySet<string> = new Set();

const NONE_EXPECTED: ExpectedVersions = new Map();

/** The sub-grids (`region/sub-grid`) and regions whose first election cannot happen yet (first-election-waits.ts). */
export interface UnbornGroups {
  subgrids: ReadonlySet<string>;
  regions: ReadonlySet<string>;
}

const NONE_UNBORN: UnbornGroups = { subgrids: new Set(), regions: new Set() };

/** Per `region/sub-grid`: the names of its nodes in the topology (topologyNodesBySubgrid). */
export type TopologyNodes = Readonly<Record<string, readonly string[]>>;

/** Why a leader no node of its group in the topology is waited for, with what ends it: its agent runs on, unasked, from an earlier life of the host. */
const strayAgent = (node: string) => `the host of ${node} still runs an agent: stop gridagent there, or put ${node} back in the topology and \`gridops reset FILE --limit ${node}\``;

/**
 * The overlay has converged, for the nodes asked, when every agent answers, has joined (it is
 * the super peer, a mirror or a member), and the nodes of a sub-grid all follow the same super
 * peer, which itself answers as super peer, and the super peers of a region name one region peer.
 * Judged from the agents' own views, so it holds for a subset of the grid (`--limit`) too: a
 * super peer not asked is taken at its members' word. Not one in `gone`, the nodes whose agent the
 * run removed (decommissioned, or left under an old name): its members keep naming it until their
 * failure detection notices, some seconds later, and taking their word would report, and record,
 * a super peer (or region peer) that is no longer there. Such a group has no super peer yet.
 * Nor a group in `unborn`, whose first election waits for voters whose agent does not run
 * (first-election-waits.ts): while it has no super peer (region peer) it is not judged, and its
 * nodes that answer are not waited for; one that does not answer is. With `topology`, a super peer
 * (region peer) not asked is taken at its members' word only if it is a node of that sub-grid
 * (region) there: a host dropped from the topology (`gridops state rm`) whose agent came back with
 * its config and key can win an election, and its followers' word would make it the overlay.
 * With `expected`, the nodes it names must also run the version installed there
 * (agent-versions.ts): an old process that kept running agrees with the rest as well as the
 * new one would, and is no converged apply.
 */
export function overlayAgreement(answers: readonly AgentAnswer[], gone: ReadonlySet<string> = NONE_GONE, unborn: UnbornGroups = NONE_UNBORN, topology?: TopologyNodes, expected: ExpectedVersions = NONE_EXPECTED): OverlayAgreement {
  const waitingFor: string[] = versionsNotRunning(answers, expected);
  const superPeers: Record<string, string | null> = {};
  const regionPeers: Record<string, string | null> = {};
  for (const a of answers) {
    const bornOrSilent = !unborn.subgrids.has(`${a.region}/${a.subgrid}`) || a.view.role === NOT_ANSWERING.role;
    if (a.view.role === 'left') waitingFor.push(`${a.node}: its agent left the grid (gridagent leave)${a.view.leftAt ? ` at ${a.view.leftAt}` : ''} and stays idle: run ${REJOIN_STEPS}`);
    else if (!JOINED.has(a.view.role) && bornOrSilent) waitingFor.push(`${a.node}: ${a.view.role}`);
  }

  const byGroup = (key: (a: AgentAnswer) => string) => {
    const groups = new Map<string, AgentAnswer[]>();
    for (const a of answers) {
      const group = groups.get(key(a));
      if (group) group.push(a);
      else groups.set(key(a), [a]);
    }
    return groups;
  };
  for (const [subgrid, members] of byGroup((a) => `${a.region}/${a.subgrid}`)) {
    // Only a node that joined follows a super peer: one not answering, searching or standing names
    // none, and is waited for on its own line, not as a follower of "none".
    const named = new Set(members.filter((m) => JOINED.has(m.view.role)).map((m) => m.view.superPeer));
    const leader = named.size === 1 ? [...named][0]! : null;
    const leaderAnswer = members.find((m) => m.node === leader);
    // One this run removes is said as that (below), though the topology no longer has it either.
    const stray = leader !== null && !gone.has(leader) && topology !== undefined && !(topology[subgrid] ?? []).includes(leader);
    superPeers[subgrid] = leader !== null && !gone.has(leader) && !stray && (leaderAnswer === undefined || leaderAnswer.view.role === 'super-peer') ? leader : null;
    // Not born only while no leader is named at all: two named are a split, one named an election that happened after all, and both are judged.
    if (superPeers[subgrid] === null && unborn.subgrids.has(subgrid) && noneNamed(named)) delete superPeers[subgrid];
    else if (stray) waitingFor.push(`${subgrid}: its nodes follow ${leader}, which is no node of ${subgrid} in the topology (${strayAgent(leader)})`);
    else if (superPeers[subgrid] === null) waitingFor.push(`${subgrid}: ${named.size > 1 ? `nodes follow different super peers (${[...named].map((n) => n ?? 'none').join(', ')})` : `no super peer yet${leader !== null && gone.has(leader) ? ` (its nodes still follow ${leader}, which this run removes)` : ''}`}`);
  }
  // Only super peers take part in the region tier: they must all name one region peer, which
  // itself answers as region peer. A region whose super peers were not asked is not judged.
  for (const [region, members] of byGroup((a) => a.region)) {
    const peers = members.filter((m) => m.view.role === 'super-peer');
    if (peers.length === 0) continue;
    const named = new Set(peers.map((m) => m.view.regionPeer));
    const regionPeer = named.size === 1 ? [...named][0]! : null;
    const peerAnswer = members.find((m) => m.node === regionPeer);
    const stray = regionPeer !== null && !gone.has(regionPeer) && topology !== undefined && !nodesOfRegion(topology, region).includes(regionPeer);
    regionPeers[region] = regionPeer !== null && !gone.has(regionPeer) && !stray && (peerAnswer === undefined || peerAnswer.view.regionRole === 'region-peer') ? regionPeer : null;
    if (regionPeers[region] === null && unborn.regions.has(region) && noneNamed(named)) delete regionPeers[region];
    else if (stray) waitingFor.push(`${region}: its super peers name ${regionPeer} as region peer, which is no node of ${region} in the topology (${strayAgent(regionPeer)})`);
    else if (regionPeers[region] === null) waitingFor.push(`${region}: ${named.size > 1 ? `super peers name different region peers (${[...named].map((n) => n ?? 'none').join(', ')})` : `no region peer yet${regionPeer !== null && gone.has(regionPeer) ? ` (its super peers still name ${regionPeer}, which this run removes)` : ''}`}`);
  }
  return { converged: waitingFor.length === 0, superPeers, regionPeers, waitingFor };
}

function nodesOfRegion(topology: TopologyNodes, region: string): string[] {
  return Object.entries(topology).filter(([subgrid]) => subgrid.startsWith(`${region}/`)).flatMap(([, nodes]) => nodes);
}

const noneNamed = (named: ReadonlySet<string | null>) => [...named].every((n) => n === null);
