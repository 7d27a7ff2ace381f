import type { AgentEvent, Destination, Liveness, Message, PeerRegionSummary, RegionName, SuperPeerSummary } from './types.js';
import { BoundedMap } from './bounded-map.js';
import { MAX_REGIONS, MAX_SUPER_PEERS } from './validate.js';

/** Fixed facts the directory needs. */
export interface DirectorySettings {
  self: string;
  region: string;
  selfAddr?: string;
  /**
   * The join list: regions to look for before any other is known (a bare name: the host knows its
   * DNS name). Every other region is learned from summaries, so adding a region changes nothing here.
   */
  peerRegions: Array<string | RegionName>;
  /** Our own region peer's DNS name, told to the others so that they can find our next region peer. */
  regionName?: string;
  /** Push interval, in ticks (region timers' `peerRegionInterval`). */
  interval: number;
}

/** What the directory needs from the agent that hosts it. */
export interface DirectoryHost {
  send(dest: Destination, message: Message): void;
  event(event: AgentEvent): void;
  /** True while this node is its region's peer: only region peers exchange summaries. */
  isRegionPeer(): boolean;
  regionTerm(): number;
  /** This region's super peers (live ones) and total node count, from the region registry. */
  ownSummary(): { superPeers: SuperPeerSummary[]; nodes: number };
  /** Where a summary that reached the wrong node should go: the super peer, or the region peer. */
  redirectTarget(): { name: string; addr?: string } | null;
}

interface Entry extends PeerRegionSummary {
  addr?: string;
  /** Where its last summary came from: such a summary passed the guard's echo check (it is not a probe), so it was sent to this run. */
  provenAddr?: string;
  lastHeard: number;
}

/** Distinct redirect targets followed per region and probe round, so a stale pointer cannot bounce a probe forever. */
const MAX_REDIRECTS = 16;

/**
 * A region learned from summaries (not in the join list) and not heard from for this many push
 * intervals (an hour at the default 10 s) is forgotten: a region removed or renamed would be
 * probed, by DNS, every 2.5 s for ever, and its name would count towards the 64 a summary carries.
 */
const FORGET_AFTER_INTERVALS = 360;

/**
 * Regions learned from summaries (besides the join list) kept at most: four times the 64 a
 * summary names (MAX_REGIONS), so an honest grid of up to 256 regions is known whole, while a
 * node holding the grid key cannot grow the table (each name is probed, and resolved by DNS
 * in the runtime) one summary of 64 made-up names after another. Beyond it the learned region
 * heard from least recently goes first, one without a live entry (a validated summary of its
 * own, lately) before any with one; the join list's regions are never counted or dropped.
 */
export const MAX_LEARNED_REGIONS = 4 * MAX_REGIONS;

/**
 * Regions probed per probe round, at most (the least recently probed first): a DNS lookup and a
 * datagram each, every interval/4, so a grid larger than a summary names is probed in turns.
 */
export const MAX_PROBES_PER_ROUND = MAX_REGIONS;

/**
 * The region peers' directory of each other (the "region peers know each other" tier). Every
 * `interval` a region peer pushes a small summary of its region (term, super peers, node
 * counts) straight to every other region's peer it knows. A region it has not heard from lately
 * gets a tiny probe every interval/4 at its DNS name; whoever answers there redirects towards
 * the region peer, which answers with its full summary. The receiver keeps a table
 * with liveness: a higher term replaces an entry (that region re-elected), silence makes it
 * suspect after 2.5 intervals and drops it after 4. A receiver that the sender does not know
 * yet answers at once, so a new region peer learns the whole grid in one round trip.
 * Pure: tick() and step(), no clock or socket.
 */
export class RegionDirectory {
  private readonly entries = new Map<string, Entry>();
  private now = 0;
  private nextPushAt = 0;
  private nextProbeAt = 0;
  private wasRegionPeer = false;
  private readonly redirects = new Map<string, Set<string>>();
  /**
   * Every other region this node has heard of, with its region peer's DNS name when known: the join
   * list, then whatever summaries tell (additive, like Consul's WAN join; kept across role changes).
   */
  private readonly known = new Map<string, string | undefined>();
  /** The join list's regions, never forgotten. */
  private readonly configured = new Set<string>();
  /** When each learned region was last heard from (a summary of its own), or first named to us. */
  private readonly heardAt = new Map<string, number>();
  /** When each known region was last probed: a round probes those least recently probed first. */
  private readonly probedAt = new Map<string, number>();
  /**
   * Regions whose probe got only a brief answer (no super peers, no region names), by the prober's
   * name: its summary in reply proves it heard us (it echoes our nonce), and is answered with ours
   * in full. Bounded like the learned regions: a holder of the key can probe under made-up names.
   */
  private readonly owedFull = new BoundedMap<string, string>(MAX_LEARNED_REGIONS);
  /** How many of `known` are the join list's (never forgotten, not counted against MAX_LEARNED_REGIONS). */
  private readonly configuredKnown: number;

  constructor(
    private readonly settings: DirectorySettings,
    private readonly host: DirectoryHost,
  ) {
    for (const entry of settings.peerRegions) {
      const named = typeof entry === 'string' ? { region: entry, name: undefined } : entry;
      if (named.region !== settings.region) this.known.set(named.region, named.name);
      this.configured.add(named.region);
    }
    this.configuredKnown = this.known.size;
  }

  /** The regions this node knows of (besides its own), with their DNS names when known. */
  knownRegions(): { region: string; name?: string }[] {
    return [...this.known.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([region, name]) => (name === undefined ? { region } : { region, name }));
  }

  tick(): void {
    this.now++;
    if (this.now % this.settings.interval === 0) this.forget();
    const regionPeer = this.host.isRegionPeer();
    if (!regionPeer) {
      // A node that no longer speaks for its region must not answer for the grid with stale facts.
      if (this.wasRegionPeer) this.entries.clear();
      this.wasRegionPeer = false;
      return;
    }
    if (!this.wasRegionPeer) {
      // A new region peer introduces itself at once: the others replace the previous one by term.
      this.wasRegionPeer = true;
      this.nextPushAt = this.now;
      this.nextProbeAt = this.now;
    }
    this.expire();
    if (this.now >= this.nextPushAt) {
      this.nextPushAt = this.now + this.settings.interval;
      this.push();
    }
    if (this.now >= this.nextProbeAt) {
      // Regions not heard from are probed four times as often: a probe is small, and rare once all are known.
      this.nextProbeAt = this.now + Math.max(1, Math.ceil(this.settings.interval / 4));
      this.probe();
    }
  }

  /** `validated`: the packet echoed this run's nonce (guard.ts), so it was sent to this run, from where it says. */
  step(message: Extract<Message, { type: 'peerSummary' | 'peerRedirect' }>, fromAddr: string | undefined, validated = false): void {
    if (message.group === this.settings.region) return;
    if (message.type === 'peerRedirect') return this.onRedirect(message);
    this.learn(message);
    if (!this.host.isRegionPeer()) {
      const target = this.host.redirectTarget();
      if (target === null || target.name === message.from || target.name === this.settings.self) return;
      this.host.send(
        { kind: 'node', name: message.from, addr: fromAddr ?? message.addr },
        { type: 'peerRedirect', tier: 'region', group: this.settings.region, from: this.settings.self, to: message.from, term: 0, leader: target.name, leaderAddr: target.addr },
      );
      return;
    }
    const existing = this.entries.get(message.group);
    if (existing !== undefined && message.term < existing.term) return; // a deposed region peer, still talking
    if (message.probe) {
      // Someone looking for us. A probe needs no echo and its source address is not authenticated,
      // so our full summary (12 KiB with 128 super peers, for a probe of 242 B) would let a spoofed
      // probe aim it at anyone: only a probe that proves it was sent to this run, or that comes
      // from where the region's peer was last heard, gets it. Any other gets a brief one, which
      // the prober answers with its own summary, echoing our nonce: then ours follows in full.
      const dest: Destination = { kind: 'node', name: message.from, addr: fromAddr ?? message.addr };
      const trusted = validated || (fromAddr !== undefined && existing?.provenAddr === fromAddr);
      if (trusted) return this.sendSummary(message.group, dest, false);
      this.owedFull.set(message.group, message.from);
      return this.sendSummary(message.group, dest, false, false, true);
    }
    // Dropped at once by the cap on learned regions (a flood of live ones): no entry without the region known, so the table stays bounded too.
    if (!this.known.has(message.group)) return;
    const entry: Entry = {
      region: message.group,
      regionPeer: message.from,
      term: message.term,
      superPeers: message.superPeers.map((peer) => ({ name: peer.name, subgrid: peer.subgrid, members: peer.members })),
      nodes: message.nodes,
      addr: message.addr ?? fromAddr,
      ...(fromAddr === undefined ? {} : { provenAddr: fromAddr }),
      lastHeard: this.now,
    };
    this.entries.set(message.group, entry);
    if (existing === undefined || existing.regionPeer !== entry.regionPeer) {
      this.host.event({ type: 'peerRegion', region: entry.region, change: existing === undefined ? 'learned' : 'replaced', regionPeer: entry.regionPeer, term: entry.term });
    }
    const owed = this.owedFull.get(message.group) === message.from;
    if (owed) this.owedFull.delete(message.group);
    if (owed || (!message.reply && message.knows !== this.settings.self)) this.sendSummary(message.group, { kind: 'node', name: message.from, addr: entry.addr }, true);
  }

  /** The addresses this node holds for the other regions' peers (those their summaries carried): where it sends them its own. */
  regionPeerAddresses(): string[] {
    return [...this.entries.values()].flatMap((entry) => (entry.addr !== undefined ? [entry.addr] : []));
  }

  /** The source addresses the other regions' peers' last summaries came from (their advertised address may be a DNS name, or behind NAT). */
  regionPeerProvenAddresses(): string[] {
    return [...this.entries.values()].flatMap((entry) => (entry.provenAddr !== undefined ? [entry.provenAddr] : []));
  }

  /** The other regions as this node holds them (empty unless it is its region's peer). */
  list(): (PeerRegionSummary & { liveness: Liveness; lastHeardTicksAgo: number })[] {
    return [...this.entries.values()]
      .sort((a, b) => (a.region < b.region ? -1 : a.region > b.region ? 1 : 0))
      .map((entry) => ({
        region: entry.region,
        regionPeer: entry.regionPeer,
        term: entry.term,
        superPeers: entry.superPeers,
        nodes: entry.nodes,
        liveness: this.isFresh(entry) ? 'alive' : 'suspect',
        lastHeardTicksAgo: this.now - entry.lastHeard,
      }));
  }

  private isFresh(entry: Entry): boolean {
    return this.now - entry.lastHeard <= (this.settings.interval * 5) / 2;
  }

  private expire(): void {
    for (const [region, entry] of this.entries) {
      if (this.now - entry.lastHeard <= this.settings.interval * 4) continue;
      this.entries.delete(region);
      this.host.event({ type: 'peerRegion', region, change: 'expired', regionPeer: entry.regionPeer, term: entry.term });
    }
  }

  /** The full summary, straight to every region peer we know. */
  private push(): void {
    for (const entry of [...this.entries.values()].sort((a, b) => (a.region < b.region ? -1 : 1))) {
      this.sendSummary(entry.region, { kind: 'node', name: entry.regionPeer, addr: entry.addr }, false);
    }
  }

  /** Regions named by a summary: its sender's, and the ones it knows. A region new to us is probed at once. */
  private learn(message: Extract<Message, { type: 'peerSummary' }>): void {
    let learned = false;
    const note = (region: string, name: string | undefined): void => {
      if (region === this.settings.region) return;
      if (!this.known.has(region)) {
        learned = true;
        this.makeRoom();
      }
      if (name !== undefined || !this.known.has(region)) this.known.set(region, name ?? this.known.get(region));
    };
    note(message.group, message.regionName);
    this.heardAt.set(message.group, this.now);
    for (const other of message.regionNames ?? []) {
      if (this.known.has(other.region) || other.region === this.settings.region) continue;
      note(other.region, other.name);
      this.heardAt.set(other.region, this.now);
    }
    if (learned) this.nextProbeAt = this.now;
  }

  /**
   * A small probe to the DNS name of known regions not heard from lately (they may have a new
   * peer): at most MAX_PROBES_PER_ROUND, the join list's first (a flood of made-up names must not
   * delay them), then those least recently probed, then by name.
   */
  private probe(): void {
    const due = [...this.known.entries()]
      .filter(([region]) => {
        const entry = this.entries.get(region);
        return entry === undefined || !this.isFresh(entry);
      })
      .sort(([a], [b]) => Number(this.configured.has(b)) - Number(this.configured.has(a)) || (this.probedAt.get(a) ?? -1) - (this.probedAt.get(b) ?? -1) || (a < b ? -1 : 1))
      .slice(0, MAX_PROBES_PER_ROUND);
    for (const [region, name] of due) {
      this.probedAt.set(region, this.now);
      this.redirects.set(region, new Set());
      this.sendSummary(region, { kind: 'peerRegion', region, ...(name !== undefined ? { name } : {}) }, false, true);
    }
  }

  private onRedirect(message: Extract<Message, { type: 'peerRedirect' }>): void {
    // Only for a region we know (the map is keyed by what the redirect names, which needs no echo).
    if (!this.host.isRegionPeer() || message.leader === this.settings.self || !this.known.has(message.group)) return;
    const followed = this.redirects.get(message.group) ?? new Set<string>();
    if (followed.has(message.leader) || followed.size >= MAX_REDIRECTS) return;
    followed.add(message.leader);
    this.redirects.set(message.group, followed);
    this.sendSummary(message.group, { kind: 'node', name: message.leader, addr: message.leaderAddr }, false, true);
  }

  /**
   * `probe`: a probe (no super peers, no region names). `brief`: the answer to a probe we cannot
   * trust (step): our node count but no super peers and no region names, and no `knows`, so that
   * the prober always answers it.
   */
  private sendSummary(region: string, dest: Destination, reply: boolean, probe = false, brief = false): void {
    const own = probe ? { superPeers: [], nodes: 0 } : brief ? { superPeers: [], nodes: this.host.ownSummary().nodes } : this.host.ownSummary();
    const known = brief ? undefined : this.entries.get(region);
    this.host.send(dest, {
      type: 'peerSummary',
      tier: 'region',
      group: this.settings.region,
      from: this.settings.self,
      ...(dest.kind === 'node' ? { to: dest.name } : {}),
      term: this.host.regionTerm(),
      ...(this.settings.selfAddr !== undefined ? { addr: this.settings.selfAddr } : {}),
      // A receiver refuses a summary of more (validate.ts): the largest sub-grids' super peers are sent; the count of nodes stays whole.
      superPeers: own.superPeers.length > MAX_SUPER_PEERS ? [...own.superPeers].sort((a, b) => b.members - a.members || (a.name < b.name ? -1 : 1)).slice(0, MAX_SUPER_PEERS) : own.superPeers,
      nodes: own.nodes,
      reply,
      ...(known !== undefined && this.isFresh(known) ? { knows: known.regionPeer } : {}),
      ...(probe ? { probe: true } : {}),
      ...(this.settings.regionName !== undefined ? { regionName: this.settings.regionName } : {}),
      ...(probe || brief ? {} : { regionNames: this.namedRegions(region) }),
    });
  }

  /**
   * The regions we know by DNS name, for the receiver (its own region left out): only those heard
   * from lately, so the name of a region that is gone stops travelling (even one in our join list,
   * which we keep probing ourselves); at most what a receiver takes (MAX_REGIONS, validate.ts).
   */
  private namedRegions(receiver: string): RegionName[] {
    const fresh = (region: string) => {
      const entry = this.entries.get(region);
      return entry !== undefined && this.isFresh(entry);
    };
    return [...this.known.entries()]
      .filter(([region, name]) => region !== receiver && name !== undefined && fresh(region))
      // The most recently heard first: beyond 64 live regions, which are passed on changes as they are heard.
      .sort(([a], [b]) => this.entries.get(b)!.lastHeard - this.entries.get(a)!.lastHeard || (a < b ? -1 : 1))
      .slice(0, MAX_REGIONS)
      .map(([region, name]) => ({ region, name: name! }));
  }

  /**
   * A learned region not heard from in FORGET_AFTER_INTERVALS is dropped. The join list's are kept:
   * forgetting them after a long partition would leave two regions that both forgot each other
   * apart for good; a node keeps probing those until it is reset.
   */
  private forget(): void {
    for (const region of this.known.keys()) {
      if (this.configured.has(region) || this.entries.has(region)) continue;
      if (this.now - (this.heardAt.get(region) ?? 0) <= FORGET_AFTER_INTERVALS * this.settings.interval) continue;
      this.drop(region);
    }
  }

  /** Regions learned (not of the join list) and still known, for tests and metrics. */
  get learnedRegions(): number {
    return this.known.size - this.configuredKnown;
  }

  /** Before a new region is learned at the cap: drops the learned region heard from least recently, one without a live entry first. */
  private makeRoom(): void {
    if (this.learnedRegions < MAX_LEARNED_REGIONS) return;
    let oldest: { region: string; live: boolean; at: number } | null = null;
    for (const region of this.known.keys()) {
      if (this.configured.has(region)) continue;
      const candidate = { region, live: this.entries.has(region), at: this.heardAt.get(region) ?? 0 };
      if (oldest === null || Number(candidate.live) < Number(oldest.live) || (candidate.live === oldest.live && candidate.at < oldest.at)) oldest = candidate;
    }
    if (oldest === null) return;
    const entry = this.entries.get(oldest.region);
    this.drop(oldest.region);
    if (entry !== undefined) this.host.event({ type: 'peerRegion', region: oldest.region, change: 'expired', regionPeer: entry.regionPeer, term: entry.term });
  }

  private drop(region: string): void {
    this.known.delete(region);
    this.heardAt.delete(region);
    this.probedAt.delete(region);
    this.redirects.delete(region);
    this.entries.delete(region);
  }
}
