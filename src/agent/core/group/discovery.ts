import { BoundedMap, MAX_TRACKED_PEERS } from '../bounded-map.js';
import type { Destination, Message } from '../types.js';
import { allVoters } from '../view.js';
import type { GroupContext } from './context.js';

/** A fresh node (one that never belonged to a group) heard from while it searches. */
export interface FreshPeer {
  addr?: string;
  score: number;
  eligible: boolean;
  /** When this node first heard of it: a peer heard for less than `bootstrapGrace` may still be inside its own grace. */
  firstHeard: number;
  lastHeard: number;
}

/**
 * Finding the group: a node with no leader sends `discover` with exponential backoff, first to
 * the multicast group, then also to its seeds and to the region peer's DNS name, and to the
 * voters it knows. It also keeps the fresh nodes it hears of, which the bootstrap election counts,
 * and, per node, the highest term that node is known not to have won (it showed itself fresh in a
 * later one), which releases a bootstrap vote bound to it.
 */
export class Discovery {
  /** No leader known: discovering. */
  searching = false;
  /** When the current search started. */
  startedAt = 0;
  private attempt = 0;
  private nextAt = 0;
  /*
   * Keyed by senders' names (a discover needs no echo), so both keep the MAX_TRACKED_PEERS most
   * recently heard (bounded-map.ts). Forgetting a fresh peer only leaves it out of the count of
   * fresh peers until its next discover (a bootstrap's votes are validated anyway); forgetting
   * `notWonUpTo` only keeps a bootstrap vote bound longer: both err on the side of waiting.
   */
  private readonly freshPeers = new BoundedMap<string, FreshPeer>(MAX_TRACKED_PEERS);
  private readonly notWonUpTo = new BoundedMap<string, number>(MAX_TRACKED_PEERS);

  constructor(private readonly ctx: GroupContext) {}

  start(): void {
    if (!this.ctx.active) return;
    this.searching = true;
    this.attempt = 0;
    this.nextAt = this.ctx.now;
    this.startedAt = this.ctx.now;
  }

  stop(): void {
    this.searching = false;
  }

  tick(): void {
    const ctx = this.ctx;
    if (ctx.now < this.nextAt) return;
    const timers = ctx.timers;
    const destinations: Destination[] = [];
    // Fallback order of the issue: multicast first, then unicast seeds, then the region peer's DNS name.
    if (ctx.settings.useMulticast) destinations.push({ kind: 'multicast' });
    if (!ctx.settings.useMulticast || this.attempt >= 2) destinations.push({ kind: 'seeds' });
    if (!ctx.settings.useMulticast || this.attempt >= 4) destinations.push({ kind: 'regionName' });
    for (const voter of allVoters(ctx.state.view)) {
      const holder = ctx.holderOf(voter);
      if (holder.name !== ctx.self) destinations.push({ kind: 'node', name: holder.name, addr: holder.addr });
    }
    for (const dest of destinations) {
      ctx.send(dest, {
        ...this.discoverBody(),
        // Only a discover sent to one host (not to the multicast group) earns a redirect, or a group would answer in chorus.
        ...(dest.kind === 'multicast' ? {} : { direct: true }),
        ...(dest.kind === 'node' ? { to: dest.name } : {}),
      });
    }
    const delay = Math.min(timers.discoveryMax, timers.discoveryBase * 2 ** this.attempt);
    const jittered = Math.max(1, Math.round(delay * (0.75 + 0.5 * ctx.settings.random.next())));
    this.attempt++;
    this.nextAt = ctx.now + jittered;
  }

  private discoverBody(): { type: 'discover'; fresh: boolean; eligible: boolean; score: number } {
    const ctx = this.ctx;
    const fresh = this.canBootstrap();
    return { type: 'discover', fresh, eligible: ctx.settings.eligible && ctx.host.canStand(), score: fresh ? this.bootstrapRankScore() : ctx.host.selfInfo().score };
  }

  /** A node that never belonged to an established group, and has not voted in one. */
  isFresh(): boolean {
    return !this.ctx.state.joined && this.ctx.state.view === null;
  }

  /** Fresh, and born in the group's first bootstrap (it has an electorate): it may take part in one. */
  canBootstrap(): boolean {
    return this.ctx.settings.expect !== null && this.isFresh();
  }

  /** What a fresh node ranks by: the rendered bootstrap score if any (see GroupSettings), else its live score. */
  bootstrapRankScore(): number {
    return this.ctx.settings.bootstrapScore ?? this.ctx.host.selfInfo().score;
  }

  /** Is the sender (region tier: its voter slot) in this node's bootstrap electorate, when it is known by name? */
  inElectorate(message: Message): boolean {
    const electorate = this.ctx.settings.electorate;
    return electorate === undefined || electorate.has(message.slot ?? message.from);
  }

  /** A fresh node of the electorate spoke (a discover, or a bootstrap pre-vote or vote). */
  noteFresh(message: Message, score: number, eligible: boolean): void {
    const firstHeard = this.freshPeers.get(message.from)?.firstHeard ?? this.ctx.now;
    this.freshPeers.set(message.from, { addr: this.ctx.heardAddress(message.from), score, eligible, firstHeard, lastHeard: this.ctx.now });
    // Fresh at (or asking from below) this term: it has won no earlier term.
    this.noteNotWon(message.from, message.term - 1);
  }

  /** The fresh peers heard from lately. */
  liveFreshPeers(): [string, FreshPeer][] {
    const horizon = this.ctx.timers.discoveryMax * 2;
    return [...this.freshPeers].filter(([, peer]) => this.ctx.now - peer.lastHeard <= horizon);
  }

  /** How many live eligible fresh nodes outrank this one. */
  freshRank(): number {
    const score = this.bootstrapRankScore();
    return this.liveFreshPeers().filter(([name, peer]) => peer.eligible && this.ctx.outranks(peer.score, name, score, this.ctx.self)).length;
  }

  /**
   * Is a live eligible fresh node that outranks this one maybe still inside its own grace (first
   * heard less than `bootstrapGrace` ago: it sends its first discover as its search starts)? It
   * stands itself by the end of it, so a planned election waits for it.
   */
  betterPeerStillInGrace(): boolean {
    const ctx = this.ctx;
    const score = this.bootstrapRankScore();
    return this.liveFreshPeers().some(
      ([name, peer]) => peer.eligible && ctx.now - peer.firstHeard < ctx.timers.bootstrapGrace && ctx.outranks(peer.score, name, score, ctx.self),
    );
  }

  /** Entries kept per map (for tests and metrics). */
  trackedPeers(): { freshPeers: number; notWonUpTo: number } {
    return { freshPeers: this.freshPeers.size, notWonUpTo: this.notWonUpTo.size };
  }

  noteNotWon(name: string, term: number): void {
    if (term > (this.notWonUpTo.get(name) ?? -1)) this.notWonUpTo.set(name, term);
  }

  /** Is `name` known not to have won `term` (it was fresh in a later one)? */
  hasNotWon(name: string, term: number): boolean {
    return (this.notWonUpTo.get(name) ?? -1) >= term;
  }

  onDiscover(message: Extract<Message, { type: 'discover' }>): void {
    const ctx = this.ctx;
    if (message.fresh && this.inElectorate(message)) {
      const newcomer = this.freshPeers.get(message.from) === undefined;
      this.noteFresh(message, message.score, message.eligible);
      // A fresh node introduces itself at once to a fresh peer it hears of for the first time (a
      // plain discover: it earns no redirect, and that peer knows this one, so it goes no further).
      // Else a newcomer counts this node only at its next discover, up to 5 s away, and the planned
      // node, arriving last, waited for the expected nodes past the moment the others stood. Sent
      // where the discover came from, not to a proven address (context.ts): a fresh node's first
      // discover proves nothing (it cannot echo this run's nonce), so none would ever go; a replay
      // from another host draws one discover there, once per name heard for the first time.
      if (newcomer && ctx.active && this.searching && this.canBootstrap()) ctx.sendTo(message.from, this.discoverBody(), false, ctx.heardAddress(message.from));
    }
    if (!ctx.active) return;
    if (ctx.role === 'leader') ctx.sendTo(message.from, { type: 'announce' });
    else if (message.direct) ctx.redirectTo(message.from);
  }

  onRedirect(message: Extract<Message, { type: 'redirect' }>): void {
    const ctx = this.ctx;
    if (!ctx.active || ctx.leader !== null || message.leader === ctx.self) return;
    // A redirect is only a hint: ask the named node there, and follow it once it announces itself.
    // The address is used for this discover only and kept nowhere: it is another node's word, maybe
    // stale (an old port in its view), and the announce's own source address is what counts.
    ctx.sendTo(message.leader, { ...this.discoverBody(), direct: true }, false, message.leaderAddr);
  }
}
