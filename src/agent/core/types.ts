/** The two tiers of the overlay: nodes elect a super peer per sub-grid, super peers a region peer per region. */
export type Tier = 'subgrid' | 'region';

/**
 * Whether a node may stand for election. `never` still registers, but never leads; `prefer`
 * stands with its availability score raised by PREFER_SCORE_FACTOR (score.ts).
 */
export type SuperPeerPreference = 'prefer' | 'auto' | 'never';

/** What a member reports about itself; the super peer keeps it in the registry. */
export interface NodeAttributes {
  arch: string;
  cores: number;
  memoryMiB: number;
  labels: Record<string, string>;
  /** One-minute load average. */
  load: number;
  uptimeSec: number;
}

/** What a super peer reports to its region peer. */
export interface SubgridSummary {
  subgrid: string;
  members: number;
  /**
   * The sub-grid term this super peer leads in, as of its region join: a successor's is higher than
   * its crashed predecessor's, whose entry lingers for its suspicion (subgrid-holders.ts). Absent from
   * older agents (and ignored by them: an unknown scalar).
   */
  term?: number;
}

/** A peer as a view names it: the address is opaque to the core (host:port in the runtime). */
export interface Peer {
  name: string;
  addr?: string;
  /**
   * Region views only: the voter slot, i.e. the sub-grid whose super peer holds this vote. The
   * slot is what counts in a quorum; `name` is its holder when the view was made, and a
   * successor super peer of that sub-grid inherits the slot.
   */
  slot?: string;
}

/**
 * The voter configuration of a group, versioned like the last entry of a Raft log:
 * (term, version) orders views, and a joint view (with oldVoters) needs both majorities.
 */
export interface View {
  term: number;
  version: number;
  voters: Peer[];
  oldVoters?: Peer[];
  /**
   * Sub-grid views only. `regionBallot` is the region-bootstrap ballot of views written before
   * bootstrap retries (it counts as the slot's vote in region term 1); region-bootstrap ballots
   * are now slot votes (`regionSlot`), one per region term. `regionJoined`: this sub-grid has
   * joined a region and never takes part in a region bootstrap again. Kept in the replicated view
   * so that a successor super peer inherits them.
   */
  regionBallot?: string;
  regionJoined?: boolean;
  /**
   * Sub-grid views only: this sub-grid's region voter slot (region term, vote and view). The super
   * peer commits a region vote here (a quorum of mirrors holds it) before the vote leaves, so a
   * successor super peer inherits the slot and can never vote twice in one region term.
   */
  regionSlot?: RegionSlot;
}

/** The region-tier state of one sub-grid's voter slot, replicated in the sub-grid view. */
export interface RegionSlot {
  term: number;
  votedFor: string | null;
  view: View | null;
}

/** A registry entry as replicated to mirrors and merged after a partition heals. */
export interface RegistryEntryWire {
  name: string;
  addr?: string;
  incarnation: number;
  attrsVersion: number;
  eligible: boolean;
  score: number;
  /**
   * The node's standing score: its score at no load and full uptime (capacity and preference only,
   * what gridops renders as bootstrapScore). Rebalancing compares this, never the live score, so
   * that a load that moves never moves the leader. Absent from older agents (the live score stands in).
   */
  standing?: number;
  attrs?: NodeAttributes;
  summary?: SubgridSummary;
  liveness: Liveness;
  /**
   * False while a member that signed in after the first bootstrap has not yet been alive for the
   * stabilization time (Consul autopilot): it is registered, but not made a voter. Absent = stable.
   */
  stable?: boolean;
}

export type Liveness = 'alive' | 'suspect' | 'dead';

/**
 * A name that left for good, as a leader's sync carries it. `agoMs`: how long before the sync the
 * sender heard it (milliseconds: nodes may tick at different rates). `incarnation`: that of the node
 * that left, so that the same name signed in again (a newer incarnation) is not taken for it.
 * `holder`: the name is a region voter slot (a sub-grid), given up by this node, its last.
 */
export interface DepartedWire {
  name: string;
  agoMs: number;
  incarnation: number;
  holder?: string;
}

interface Envelope {
  tier: Tier;
  /** Sub-grid or region name. */
  group: string;
  from: string;
  /** Set on unicast messages, so that a misdelivered or reflected packet is dropped. */
  to?: string;
  term: number;
  /**
   * Region tier, sent by a super peer: the voter slot it holds (its sub-grid) and the sub-grid term
   * of its leadership, so that the receiver knows who holds that slot now (a higher slotTerm wins).
   */
  slot?: string;
  slotTerm?: number;
}

/** Every protocol message, keyed on `type`. */
export type Message =
  | (Envelope & { type: 'discover'; fresh: boolean; eligible: boolean; score: number; direct?: boolean })
  | (Envelope & { type: 'announce' })
  | (Envelope & { type: 'redirect'; leader: string; leaderAddr?: string })
  | (Envelope & {
      type: 'join';
      incarnation: number;
      attrsVersion: number;
      eligible: boolean;
      score: number;
      /** The standing score (RegistryEntryWire.standing): fixed per incarnation and attributes version, so sent only here. */
      standing?: number;
      attrs?: NodeAttributes;
      summary?: SubgridSummary;
      /** The node was born in this group's first bootstrap (it has a bootstrap electorate): no stabilization wait. */
      born?: boolean;
    })
  | (Envelope & { type: 'welcome' })
  | (Envelope & { type: 'hb'; incarnation: number; attrsVersion: number; load: number; score: number; members?: number; viewTerm: number; viewVersion: number })
  | (Envelope & { type: 'hbAck'; known: boolean; notLeader?: boolean; leader?: string; leaderAddr?: string; view?: View; slow?: number })
  /**
   * `slow`: the leader's local health score when above 0 (local-health.ts): its voters give it that much more time.
   * `departed`: the names that left for good lately (group/departed.ts), so that a voter that missed their leaves
   * never takes them back; absent from older agents, and ignored by them.
   * `copy`: with a registry, its number in the leader's term (group/registry-copies.ts): a voter keeps
   * the newest copy (separate TCP connections can reorder them) and echoes the number it holds in its
   * `syncAck`, which proves the copy arrived. Absent from older agents, and ignored by them.
   */
  | (Envelope & { type: 'sync'; view: View; registry?: RegistryEntryWire[]; slow?: number; departed?: DepartedWire[]; copy?: number })
  | (Envelope & { type: 'syncAck'; viewTerm: number; viewVersion: number; copy?: number })
  /**
   * `bootstrap`: a fresh node asks fresh nodes before it retries the bootstrap election in a new term.
   * `campaignedTicks` (bootstrap only): ticks since the candidate's first bootstrap campaign, by its
   * own clock, which a better-ranked voter's restart does not reset (ballot.ts). Absent from older agents.
   */
  | (Envelope & { type: 'preVote'; viewTerm: number; viewVersion: number; bootstrap?: boolean; score?: number; campaignedTicks?: number })
  | (Envelope & { type: 'preVoteResp'; forTerm: number; granted: boolean; bootstrap?: boolean; ballotOf?: string })
  | (Envelope & { type: 'vote'; viewTerm: number; viewVersion: number; bootstrap: boolean; transfer: boolean; score: number; campaignedTicks?: number })
  | (Envelope & { type: 'voteResp'; granted: boolean; bootstrap: boolean; ballotOf?: string })
  /**
   * The leader asks the target of a leadership transfer to stand now. `leaderLast` (sub-grid tier):
   * the leader keeps serving while the target gathers the other votes, and is asked for its own
   * vote last, when that vote is all the target still needs (see transfer.ts).
   */
  | (Envelope & { type: 'timeoutNow'; leaderLast?: boolean })
  /**
   * `forGood`: the node is decommissioned (`gridagent leave`), not restarting: the leader drops it
   * from the voters at once. `slotEnds` (region tier): the node was the last of its sub-grid, so
   * the sub-grid's region voter slot goes too.
   */
  | (Envelope & { type: 'leave'; incarnation: number; forGood?: boolean; slotEnds?: string })
  | (Envelope & { type: 'merge'; registry: RegistryEntryWire[] })
  | (Envelope & { type: 'regionQuery' })
  | (Envelope & {
      type: 'regionInfo';
      superPeers: { name: string; subgrid: string; members: number; liveness: Liveness }[];
      totalNodes: number;
      /** The other regions, as this region peer last heard from their region peers. */
      regions?: PeerRegionSummary[];
    })
  /**
   * Region peer to region peer (group = the sender's region, term = its region term): what the
   * sender's region holds. `knows` names the receiver's region peer as the sender has it, so the
   * receiver answers (`reply`) only when the sender does not know it yet. A `probe` (sent to a
   * DNS name or along redirects, before the region peer is known) carries no super peers: the
   * region peer that gets it answers with its full summary.
   */
  | (Envelope & {
      type: 'peerSummary';
      addr?: string;
      superPeers: SuperPeerSummary[];
      nodes: number;
      reply: boolean;
      knows?: string;
      probe?: boolean;
      /** The DNS name of the sender's own region peer, so that the receiver can probe it later. */
      regionName?: string;
      /** Every other region the sender knows, with its DNS name: regions learn of each other additively (Consul's WAN join). */
      regionNames?: RegionName[];
    })
  /** A node that is not its region's peer points a peerSummary at the node that knows more (group = its own region). */
  | (Envelope & { type: 'peerRedirect'; leader: string; leaderAddr?: string })
  /**
   * A state-changing packet did not echo the receiver's current nonce (it may be a replay captured
   * before the receiver restarted): the receiver dropped it and names it here (the sender's epoch
   * and sequence). The challenge's header carries the receiver's nonce; the sender resends the
   * message once, echoing it, if it sent that packet a moment ago (see guard.ts).
   *
   * `aboveEpoch`: the packet was dropped because its epoch is below the one the receiver holds for
   * the sender's name (a node re-added with no state, whose host's clock is behind the epoch an
   * earlier node of that name reached). The sender, if that packet is of its current epoch, moves
   * its epoch above it (guard.ts, answerChallenge); older agents ignore the field.
   */
  | (Envelope & { type: 'challenge'; forEpoch: number; forSeq: number; aboveEpoch?: number });

/** A region and the DNS name of its region peer. */
export interface RegionName {
  region: string;
  name: string;
}

/** One super peer as a region peer reports it to the other regions. */
export interface SuperPeerSummary {
  name: string;
  subgrid: string;
  members: number;
}

/** What one region peer knows about another region. */
export interface PeerRegionSummary {
  region: string;
  regionPeer: string;
  term: number;
  superPeers: SuperPeerSummary[];
  nodes: number;
}

export type MessageType = Message['type'];

/** Where an outbound message goes. The runtime resolves seeds and the region name; the sim does the same in memory. */
export type Destination =
  | { kind: 'node'; name: string; addr?: string }
  | { kind: 'multicast' }
  | { kind: 'seeds' }
  | { kind: 'regionName' }
  /**
   * The DNS name of another region's region peer: `name` when learned from a summary, else the
   * name the host knows for that region (the join list of the bootstrap file).
   */
  | { kind: 'peerRegion'; region: string; name?: string };

/** A message to send. `bulk` asks for the stream transport (TCP): registry copies can exceed a datagram. */
export interface Outbound {
  dest: Destination;
  message: Message;
  bulk?: boolean;
}

/**
 * The authenticated header of every packet (see wire.ts). `epoch` and `nonce` identify the
 * sender's run (its process since the last start), `seq` the packet within that run, and `echo`
 * is the *receiver's* nonce as the sender last heard it (0 = unknown, and on packets sent to a
 * group or to an address rather than to one known node). See guard.ts.
 */
export interface PacketHeader {
  epoch: number;
  seq: number;
  nonce: number;
  echo: number;
}

/** An authenticated, well-formed message with the header it travelled under. */
export interface Packet {
  header: PacketHeader;
  message: Message;
}

/** A message to send, stamped with its header: what the host encodes and transmits. */
export interface OutboundPacket extends Outbound {
  header: PacketHeader;
}

/** State that must survive a restart, or a node could vote twice in one term. */
export interface GroupPersistentState {
  term: number;
  votedFor: string | null;
  view: View | null;
  /** Has this node ever belonged to an established group? Such a node never takes part in a bootstrap. */
  joined: boolean;
  /**
   * Sub-grid tier: the last bootstrap vote this node granted to another node. Until that node is
   * seen fresh in a later term (so it did not win), this node votes for no one else and does not
   * stand: the candidate may have won. Absent in state files written before bootstrap retries.
   */
  bootstrapVote?: { term: number; to: string };
}

export interface PersistentState {
  subgrid: GroupPersistentState;
  region: GroupPersistentState;
}

/** Things worth logging and counting; the core never logs by itself. */
export type AgentEvent =
  | { type: 'roleChanged'; tier: Tier; role: GroupRole; term: number }
  | { type: 'leaderChanged'; tier: Tier; leader: string | null; term: number }
  | { type: 'electionStarted'; tier: Tier; term: number; phase: 'preVote' | 'vote' | 'bootstrap' | 'transfer' }
  | { type: 'electionWon'; tier: Tier; term: number; votes: number }
  | { type: 'leaderLost'; tier: Tier; leader: string; term: number }
  | { type: 'steppedDown'; tier: Tier; term: number; reason: string }
  | { type: 'viewChanged'; tier: Tier; view: View }
  | { type: 'member'; tier: Tier; name: string; change: 'joined' | 'rejoined' | 'suspected' | 'refuted' | 'dead' | 'removed' | 'left' }
  | { type: 'handoverStarted'; tier: Tier; successor: string }
  | { type: 'handoverComplete'; tier: Tier; successor: string | null }
  | { type: 'peerRegion'; region: string; change: 'learned' | 'replaced' | 'expired'; regionPeer: string; term: number }
  | { type: 'dropped'; reason: string };

export type GroupRole = 'leader' | 'mirror' | 'member' | 'candidate' | 'searching' | 'inactive';

/** What the host must do after tick() or step(): persist first, then send. */
export interface Ready {
  messages: OutboundPacket[];
  persist: PersistentState | null;
  /** A new sender epoch (the sequence ran out, guard.ts), to be on disk before `messages` leave. */
  epoch: number | null;
  events: AgentEvent[];
}
