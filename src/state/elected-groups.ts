import type { OverlayRecord } from '../overlay/overlay-record.js';
import { nodesWithAgent } from './nodes-with-agent.js';
import type { GridState } from './state.js';
import { subgridKey } from '../topology/subgrid-key.js';

/** Sub-grids (`region/sub-grid`) and regions known to have held their first election. */
export interface ElectedGroups {
  subgrids: string[];
  regions: string[];
}

/**
 * The groups the state knows elected: its lasting record, or, in a state written before that was
 * kept, the ones the recorded overlay names a super peer (region peer) for; each only while a host
 * of it the state records runs an agent (stillRunning). Pruned here, as read, so that every reader
 * gets one answer: `state rm` of every node of a group that elected leaves its record until the
 * next apply writes the state, and the bootstrap files (which call such a group born again) and the
 * first-election waits (which would still call it elected, and not say whom it waits for) must agree.
 * The reader, not `state rm`, prunes: a state file an earlier `state rm` wrote holds such a record too.
 */
export function electedGroups(state: GridState): ElectedGroups {
  return stillRunning(state.elected ?? namedBy(state.overlay), state);
}

/**
 * `groups` plus those `overlay` names a peer for. A verify that asked only some sub-grids
 * (`--limit`) or failed for one (null) takes no earlier election away: an election, once held,
 * stays held while the group runs agents.
 */
export function withElections(groups: ElectedGroups, overlay: OverlayRecord | undefined): ElectedGroups {
  const named = namedBy(overlay);
  return { subgrids: union(groups.subgrids, named.subgrids), regions: union(groups.regions, named.regions) };
}

/**
 * `groups` less those where none of the state's hosts runs an agent any more (every node reset, or
 * forgotten): such a group is born again when it is next applied. A host whose place is not
 * recorded (an older state) may be in any group, so it keeps them all.
 */
export function stillRunning(groups: ElectedGroups, state: GridState): ElectedGroups {
  const running = [...nodesWithAgent(state)].map((name) => state.hosts[name]!.node);
  if (running.some((node) => !node)) return groups;
  const subgrids = new Set(running.map((node) => subgridKey(node!)));
  const regions = new Set(running.map((node) => node!.region));
  return { subgrids: groups.subgrids.filter((key) => subgrids.has(key)), regions: groups.regions.filter((region) => regions.has(region)) };
}

function namedBy(overlay: OverlayRecord | undefined): ElectedGroups {
  const named = (peers: Record<string, string | null> | undefined) => Object.entries(peers ?? {}).filter(([, peer]) => peer !== null).map(([group]) => group);
  return { subgrids: named(overlay?.superPeers), regions: named(overlay?.regionPeers) };
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}
