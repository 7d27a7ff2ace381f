import { BoundedMap, MAX_TRACKED_PEERS } from '../bounded-map.js';
import type { LocalHealth } from '../local-health.js';
import type { Random } from '../prng.js';
import { Registry } from '../registry.js';
import type { Timers } from '../timers.js';
import type { AgentEvent, Destination, GroupPersistentState, Message, NodeAttributes, Outbound, Peer, PeerRegionSummary, SubgridSummary, Tier, View } from '../types.js';
import { allVoters, isVoter, voterKey } from '../view.js';
import type { VoteStore } from '../vote-store.js';

/** Fixed facts about this node's place in one group. */
export interface GroupSettings {
  tier: Tier;
  group: string;
  self: string;
  selfAddr?: string;
  /** False for `superPeer: never`: such a node votes but never stands. */
  eligible: boolean;
  timers: Timers;
  /**
   * The first (bootstrap) election's electorate size (bootstrapQuorum), or null for a node that was
   * not born in its group's first bootstrap (added later): such a node never bootstraps, neither
   * standing nor voting; it signs in to the group that exists.
   */
  expect: number | null;
  /**
   * The electorate by name (sub-grid: node names; region: sub-grid names, i.e. voter slots), when
   * known: fresh nodes outside it are not counted, asked or answered in a bootstrap.
   */
  electorate?: ReadonlySet<string>;
  /** Mirrors besides the leader (2 to 4); together they are the voters. */
  mirrors: number;
  /** A challenger must beat the incumbent's score by this fraction (0.25 = 25 %). */
  hysteresis: number;
  /** Sub-grids discover over multicast; the region tier has no multicast group. */
  useMulticast: boolean;
  incarnation: number;
  /** Milliseconds per tick (100 unless configured): what a duration on the wire is counted in. */
  tickMs?: number;
  random: Random;
  /** This node's local health (Lifeguard), shared by both tiers: widens failure timeouts while the node runs late. */
  health: LocalHealth;
  /**
   * The score this node ranks by in a bootstrap (first) election, when set: gridops renders it
   * from facts that do not change (cores, memory, preference), so the first election is the one
   * its plan shows. Live scores (load, uptime) still rank every later election.
   */
  bootstrapScore?: number;
}

/** What the group needs from the agent that hosts it. */
export interface GroupHost {
  send(out: Outbound): void;
  event(event: AgentEvent): void;
  persistChanged(): void;
  /** `standing`: the score at no load and full uptime (RegistryEntryWire.standing), which rebalancing compares. */
  selfInfo(): { score: number; standing: number; load: number; attrsVersion: number; attrs?: NodeAttributes; summary?: SubgridSummary };
  /** The region tier only lets super peers stand. */
  canStand(): boolean;
  /** The region tier is dormant on nodes that are not super peers. */
  isActive(): boolean;
  /** The other regions, so that a regionQuery (region tier) is answered for the whole grid; none for a sub-grid. */
  otherRegions(): PeerRegionSummary[];
}

/** Raft's roles; a follower with no leader is searching (discovery.ts). */
export type ElectionRole = 'follower' | 'preCandidate' | 'candidate' | 'leader';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A message as a concept writes it: the envelope (tier, group, sender, term) is stamped on sending. */
export type MessageBody = DistributiveOmit<Message, 'tier' | 'group' | 'from' | 'term' | 'to'> & { term?: number };

/** Who holds a region voter slot, as last heard (the highest sub-grid term wins). */
interface SlotHolder {
  name: string;
  /**
   * An address not proven to be the holder's: a redirect's (another node's claim) or that of a
   * packet that passed without proving its freshness. Only used while no better one is known.
   */
  hint?: string;
  term: number;
}

/**
 * What every concept of one group shares: the fixed settings, the host, the vote store, the
 * registry, the durable state, the clock, the role and the known leader, and how the group
 * addresses its peers. Role changes themselves are made only by the engine (engine.ts, become*);
 * the concepts read `role` and `leader` here.
 */
export class GroupContext {
  readonly registry: Registry;
  /** Ticks since start. */
  now = 0;
  role: ElectionRole = 'follower';
  leader: string | null = null;
  /** The region tier is dormant while this node is not a super peer. */
  active: boolean;
  /** The local health score the leader last advertised in a sync (0 when it runs on time, or none). */
  leaderSlow = 0;
  /*
   * The three maps below are keyed by what a packet names (its sender, its slot), so each keeps
   * the MAX_TRACKED_PEERS most recently heard (bounded-map.ts). Forgetting is safe: a sender's
   * address falls back to the registry's or the view's (trustedAddressOf), a slot's holder to the
   * node the view names, both written from validated packets only; an honest peer that talks
   * again is learnt again from its next packet.
   */
  /** Where each peer's last packet that passed the guard came from, fresh or not: where answers go. */
  private readonly heardAt = new BoundedMap<string, string>(MAX_TRACKED_PEERS);
  /** Where each peer's last fresh packet (guard.ts, validated) came from: the only source address voter traffic follows. */
  private readonly provenAt = new BoundedMap<string, string>(MAX_TRACKED_PEERS);
  private readonly holders = new BoundedMap<string, SlotHolder>(MAX_TRACKED_PEERS);

  constructor(
    readonly settings: GroupSettings,
    readonly host: GroupHost,
    /** The durable state (term, vote, view): written to the state file before any message leaves. */
    readonly state: GroupPersistentState,
    readonly votes: VoteStore,
  ) {
    this.registry = new Registry(settings.tier);
    this.active = host.isActive();
  }

  get timers(): Timers {
    return this.settings.timers;
  }

  get health(): LocalHealth {
    return this.settings.health;
  }

  /**
   * A timeout about the leader, in ticks, widened by Lifeguard's local health: by this node's own
   * score while it runs late, or by the score its leader advertised while that one does.
   */
  leaderPatience(ticks: number): number {
    return ticks * (1 + Math.max(this.settings.health.healthScore, this.leaderSlow));
  }

  get self(): string {
    return this.settings.self;
  }

  event(event: AgentEvent): void {
    this.host.event(event);
  }

  persist(): void {
    this.host.persistChanged();
  }

  /** Voter key of this node: its name, or for the region tier its sub-grid (its voter slot). */
  get selfKey(): string {
    return this.votes.slot()?.id ?? this.settings.self;
  }

  /** Also by name: a region view written before voter slots existed lists nodes. */
  selfIsVoter(): boolean {
    return isVoter(this.state.view, this.selfKey) || isVoter(this.state.view, this.settings.self);
  }

  /** Is this peer of a view this node (by its slot, or by name in a view written before slots)? */
  isSelf(peer: Peer): boolean {
    return voterKey(peer) === this.selfKey || peer.name === this.settings.self;
  }

  selfPeer(): Peer {
    const slot = this.votes.slot();
    return { name: this.settings.self, addr: this.settings.selfAddr, ...(slot ? { slot: slot.id } : {}) };
  }

  /** Better score first; equal scores go to the lower name, so that every node ranks alike. */
  outranks(scoreA: number, nameA: string, scoreB: number, nameB: string): boolean {
    return scoreA !== scoreB ? scoreA > scoreB : nameA < nameB;
  }

  // ---- addressing ---------------------------------------------------------------------------

  /**
   * Learns where a sender is, and (region tier) who holds its voter slot now. `validated`: the packet
   * echoed this run's nonce and the replay window had not seen it (guard.ts, `validated`), so it
   * was sent after this run started and is the first copy to arrive. Only such a packet moves the
   * address voter traffic goes to: the MAC does not cover the source address, so a packet that
   * passes without that proof (a discover, a redirect...) may be one captured earlier and replayed
   * from another host, which would then draw every vote and sync meant for the voter (review H1).
   */
  noteSender(message: Message, fromAddr: string | undefined, validated: boolean): void {
    if (fromAddr !== undefined) {
      this.heardAt.set(message.from, fromAddr);
      if (validated) this.provenAt.set(message.from, fromAddr);
    }
    if (message.slot === undefined) return;
    if (message.type === 'redirect') this.noteHolder(message.slot, message.leader, message.leaderAddr, message.slotTerm ?? 0);
    else this.noteHolder(message.slot, message.from, validated ? undefined : fromAddr, message.slotTerm ?? 0);
  }

  /**
   * Where to send to a peer (a member's heartbeats and joins to its super peer among them): where a
   * fresh packet of it last came from, else where the registry or the view says, and only for a
   * peer known by none of these where any packet of it came from. A packet without proof of
   * freshness may be a replay from another host (noteSender): had it moved the address, a member's
   * heartbeats went to the attacker until its super peer timed out.
   */
  addressOf(name: string): string | undefined {
    if (name === this.settings.self) return this.settings.selfAddr;
    return this.trustedAddressOf(name) ?? this.heardAt.get(name);
  }

  /** The address a fresh packet of the node last came from (none for a node not heard from so since this start). */
  provenAddress(name: string): string | undefined {
    return this.provenAt.get(name);
  }

  /** The address the node's last packet came from, fresh or not (none for a node never heard from directly since this start). */
  heardAddress(name: string): string | undefined {
    return this.heardAt.get(name);
  }

  /**
   * Where a voter is reached: the current holder of its slot when known, else the node the view
   * names; at the address a fresh packet of it last came from when there is one, before the one
   * a view recorded. A view is persisted, so its addresses can be from before the peer restarted
   * on another port (a rolling change of `agent.port`): trusting the view then sent every vote to
   * a port nobody listened on, and a sub-grid of two never elected again (review H3). A packet
   * without proof of freshness, and another node's word (a redirect), are trusted last or not at
   * all (noteSender): a replay from another host must not move a voter (review H1).
   */
  holderOf(voter: Peer): { name: string; addr?: string } {
    const holder = voter.slot === undefined ? undefined : this.holders.get(voter.slot);
    // A hint is better than no address at all: a packet with none goes nowhere.
    if (holder !== undefined) return { name: holder.name, addr: this.provenAddress(holder.name) ?? this.trustedAddressOf(holder.name) ?? holder.hint };
    return { name: voter.name, addr: this.provenAddress(voter.name) ?? voter.addr ?? this.trustedAddressOf(voter.name) };
  }

  /**
   * The address recorded for a node from fresh packets only: this node's own proof, the registry
   * (its joins and heartbeats are validated, here or at the leader that copied it) or the view.
   */
  private trustedAddressOf(name: string): string | undefined {
    return this.provenAt.get(name) ?? this.registry.get(name)?.addr ?? allVoters(this.state.view).find((peer) => peer.name === name)?.addr;
  }

  /**
   * Forgets who held a slot given up for good, once a sub-grid signs in again under it
   * (DepartedNames.forgetSignedIn, forgetOnJoin). A sub-grid made again starts at term 1, so a
   * holder heard at a higher slot term (its gone super peer) would otherwise win over the new one
   * for good, and every region sync, vote and timeoutNow for the slot went to the dead node. Not
   * when the slot is given up: the holder lingers to acknowledge the view without it.
   */
  forgetHolder(slot: string): void {
    this.holders.delete(slot);
  }

  /** Entries kept per map (for tests and metrics). */
  trackedPeers(): { heardAt: number; provenAt: number; holders: number } {
    return { heardAt: this.heardAt.size, provenAt: this.provenAt.size, holders: this.holders.size };
  }

  private noteHolder(slot: string, name: string, hint: string | undefined, term: number): void {
    if (slot === this.votes.slot()?.id) return;
    const known = this.holders.get(slot);
    if (known !== undefined && known.term > term) return;
    const keptHint = hint ?? (known?.name === name ? known.hint : undefined);
    this.holders.set(slot, { name, ...(keptHint !== undefined ? { hint: keptHint } : {}), term });
  }

  /** The voters of a view other than this node, each as the node that holds its vote now. */
  otherVoters(view: View): { name: string; addr?: string }[] {
    return this.otherVoterHolders(view).map(({ name, addr }) => (addr === undefined ? { name } : { name, addr }));
  }

  /** As otherVoters, with the voter key each holder counts under (its slot on the region tier). */
  otherVoterHolders(view: View): { key: string; name: string; addr?: string }[] {
    const selfKey = this.selfKey;
    const targets = new Map<string, { key: string; name: string; addr?: string }>();
    for (const voter of allVoters(view)) {
      const key = voterKey(voter);
      if (key === selfKey) continue;
      const holder = this.holderOf(voter);
      if (holder.name !== this.settings.self) targets.set(holder.name, { key, ...holder });
    }
    return [...targets.values()];
  }

  /** The voter key a message counts under: the sender's region slot, or its name. */
  peerOf(message: Message): [string, Peer] {
    const key = message.slot ?? message.from;
    return [key, { name: message.from, addr: this.addressOf(message.from), ...(message.slot !== undefined ? { slot: message.slot } : {}) }];
  }

  // ---- sending ------------------------------------------------------------------------------

  sendTo(name: string, body: MessageBody, bulk = false, addr?: string): void {
    this.send({ kind: 'node', name, addr: addr ?? this.addressOf(name) }, { ...body, to: name }, bulk);
  }

  /** Messages carry the current term, except a pre-vote, which names the term it would start. */
  send(dest: Destination, body: MessageBody & { to?: string }, bulk = false): void {
    const slot = this.active ? this.votes.slot() : null;
    const stamp = slot ? { slot: slot.id, slotTerm: slot.term } : {};
    const message = { tier: this.settings.tier, group: this.settings.group, from: this.settings.self, term: this.state.term, ...stamp, ...body } as Message;
    this.host.send(bulk ? { dest, message, bulk } : { dest, message });
  }

  /** Points a node at the leader this node knows, if any (and if it is not this node). */
  redirectTo(to: string): void {
    if (this.leader !== null && this.leader !== this.settings.self) this.sendTo(to, { type: 'redirect', leader: this.leader, leaderAddr: this.addressOf(this.leader) });
  }
}
