import { ReplayWindow } from './replay-window.js';
import { StaleEpochChallenges } from './stale-epoch-challenges.js';
import type { Destination, Message, MessageType, Outbound, OutboundPacket, Packet, PacketHeader } from './types.js';

/**
 * Messages acted on without a validated echo. None of them changes protocol state: a discover
 * or regionQuery is answered (the answer goes to the claimed sender and carries its nonce), a
 * redirect or peerRedirect is a hint that is followed by asking the named node (which then has
 * to answer with a validated packet), a regionInfo is only read by tools, a peerSummary probe
 * carries no super peers and is answered with a brief summary (directory.ts), and a challenge only teaches a
 * nonce and asks us to resend one of our own recent packets. A discover also lets a fresh node
 * count fresh peers before a bootstrap, but standing is not winning: the votes are validated.
 */
/** The last sequence number a header can carry (u32 on the wire). */
const LAST_SEQ = 0xffffffff;
/**
 * The highest epoch a challenge may move this node to. An epoch is u32 on the wire, and each restart
 * begins one above the last (state-file.ts, nextEpoch): a node moved to the very end would wrap to 0
 * at its next start, below what every peer holds. 2^16 restarts of room; the clock in seconds, which
 * a first epoch follows, stays far below it until 2106.
 */
const HIGHEST_JUMP = 0xffffffff - 0x10000;

const UNCHALLENGED = new Set<MessageType>(['discover', 'redirect', 'regionQuery', 'regionInfo', 'peerRedirect', 'challenge']);

export function isUnchallenged(message: Message): boolean {
  return UNCHALLENGED.has(message.type) || (message.type === 'peerSummary' && message.probe === true);
}

export type GuardVerdict =
  | { ok: true; validated: boolean }
  /** `staleEpoch`: the packet is older than the sender's newest epoch heard, which is this (not a second copy within it). */
  | { ok: false; reason: 'replayed'; staleEpoch?: number }
  | { ok: false; reason: 'unvalidated' | 'reflected' };

export interface GuardSettings {
  self: string;
  /** This run's boot epoch (grows on every start). */
  epoch: number;
  /** The sequence number the last packet carried (0, none, at a start); tests start near the end of the range. */
  seq?: number;
  /** This run's random nonce (never 0); packets that echo it were made after this run started. */
  nonce: number;
  /** How long (ticks) our own packets can be resent when a restarted receiver challenges them. */
  resendTicks?: number;
  /** Challenges sent to one sender per tick, at most. */
  challengesPerTick?: number;
  /** Ticks between two challenges of stale-epoch packets of one sender (stale-epoch-challenges.ts); 10 ticks is 1 s. */
  staleChallengeTicks?: number;
  /** Senders whose replay window and nonce are kept, at most (bounded-map.ts, MAX_TRACKED_PEERS; tests lower it). */
  maxSenders?: number;
}

/** Nonces of one run: the run's own (generation 0), then one more per generation, skipping 0. */
const NONCE_SPACE = 0xffffffff;

function nonceOfGeneration(runNonce: number, generation: number): number {
  return ((runNonce - 1 + generation) % NONCE_SPACE) + 1;
}

function generationOfNonce(runNonce: number, nonce: number): number {
  return (((nonce - runNonce) % NONCE_SPACE) + NONCE_SPACE) % NONCE_SPACE;
}

interface PeerState {
  epoch: number;
  nonce: number;
}

interface Sent {
  seq: number;
  at: number;
  echo: number;
  out: Outbound;
  resentTo: Set<string>;
}

/**
 * Replay protection across restarts of the *receiver*, with no clock compared across nodes.
 *
 * The replay window (replay-window.ts) drops a second copy of a packet, but it lives in memory:
 * a restarted agent would take the first copy of any packet captured before its restart. So
 * every agent draws a random nonce at start and puts it in the header of every packet it sends;
 * its peers echo the latest nonce they heard from it in every packet they address to it. A
 * state-changing message is acted on only if it echoes the receiver's current nonce, i.e. it was
 * made after the sender heard from this run of the receiver: no packet captured before the
 * restart can carry it. A message that does not echo it is dropped (`unvalidated`) and answered
 * with a `challenge`, a packet like any other, which carries our nonce in its header and names
 * the dropped packet (sender epoch and sequence). The sender, if that packet is one it sent
 * within `resendTicks`, sends the same message again under a fresh sequence, now echoing our
 * nonce. A replay from the sender's current run therefore costs the attacker nothing but yields
 * at most one resend of a message the sender itself sent a moment ago (as a retry would);
 * replays from an older run of the sender are not resent at all.
 *
 * In the common cases the nonces are already known and no challenge is needed: a restarted
 * node's first discover (multicast) carries its nonce, so the super peer's announce echoes it,
 * and the node's join echoes the nonce it learned from the announce. A challenge happens once per
 * pair of peers that never exchanged a packet since the later of their starts (for example two
 * mirrors whose first packet to each other is a pre-vote): one extra round trip.
 *
 * The window forgets senders beyond a bound (replay-window.ts), which within a run is the same
 * hole as a restart, for that sender only: its old packets would pass the window again, and they
 * echo this run's nonce. So the nonce moves on each time senders are forgotten (a generation),
 * and a sender's packets must echo a generation no older than its window: exactly the restart
 * path above (`echoes`).
 */
export class PacketGuard {
  /** Forgets a sender's nonce with its window: `peers` never holds a sender the window does not (bounded there). */
  private readonly window: ReplayWindow;
  private readonly peers = new Map<string, PeerState>();
  private readonly sent = new Map<number, Sent>();
  private readonly sentOrder: Sent[] = [];
  private readonly challengesThisTick = new Map<string, number>();
  private readonly staleChallenges: StaleEpochChallenges;
  private seq: number;
  /** The sender epoch in our headers: the boot epoch, one more each time the sequence runs out. */
  private epoch: number;
  /** Set when the epoch grew and the runtime has not yet been told to put it on disk. */
  private epochToPersist: number | null = null;
  private now = 0;
  private readonly resendTicks: number;
  private readonly challengesPerTick: number;

  constructor(private readonly settings: GuardSettings) {
    this.resendTicks = settings.resendTicks ?? 10;
    this.challengesPerTick = settings.challengesPerTick ?? 4;
    this.seq = settings.seq ?? 0;
    this.epoch = settings.epoch;
    this.window = new ReplayWindow(256, settings.maxSenders, (sender) => this.peers.delete(sender));
    this.staleChallenges = new StaleEpochChallenges(settings.staleChallengeTicks ?? 10, settings.maxSenders);
  }

  /**
   * The nonce our headers carry now: this run's, moved on by one for each generation of the
   * replay window (replay-window.ts: it grows each time senders are forgotten). Kept in
   * [1, 2^32 - 1], so never 0 (which an echo uses for "unknown").
   */
  get nonce(): number {
    return nonceOfGeneration(this.settings.nonce, this.window.generation);
  }

  /**
   * Does `echo` prove the packet was made after the sender's replay record began (generation
   * `since`)? It must echo the nonce of that generation or a later one of this run. A sender the
   * window forgot starts a record in a newer generation than any nonce it echoed before, so none
   * of its packets sent before it was forgotten validates: a replay of them is challenged, as
   * after a restart of this node (and a packet captured before this run echoes another run's nonce).
   */
  private echoes(echo: number, since: number): boolean {
    if (echo === 0) return false;
    const generation = generationOfNonce(this.settings.nonce, echo);
    return generation >= since && generation <= this.window.generation;
  }

  tick(): void {
    this.now++;
    this.challengesThisTick.clear();
    while (this.sentOrder.length > 0 && this.now - this.sentOrder[0]!.at > this.resendTicks) {
      this.sent.delete(this.sentOrder.shift()!.seq);
    }
  }

  /** Stamps an outbound message; state-changing ones are kept a moment for a resend on challenge. */
  stamp(out: Outbound): OutboundPacket {
    if (this.seq === LAST_SEQ) this.nextEpoch();
    this.seq++;
    const echo = out.dest.kind === 'node' ? this.peers.get(out.dest.name)?.nonce ?? 0 : 0;
    const header: PacketHeader = { epoch: this.epoch, seq: this.seq, nonce: this.nonce, echo };
    if (!isUnchallenged(out.message)) {
      const entry: Sent = { seq: this.seq, at: this.now, echo, out, resentTo: new Set() };
      this.sent.set(this.seq, entry);
      this.sentOrder.push(entry);
    }
    return { ...out, header };
  }

  /**
   * Checks an authenticated packet: drops replays and, for state-changing messages, packets
   * that do not echo this run's nonce. Learns the sender's nonce from every fresh packet.
   */
  inspect(packet: Packet): GuardVerdict {
    const { header, message } = packet;
    if (message.from === this.settings.self) return { ok: false, reason: 'reflected' };
    if (!this.window.accept(message.from, header.epoch, header.seq)) {
      const newest = this.window.epochOf(message.from);
      return newest !== undefined && header.epoch < newest ? { ok: false, reason: 'replayed', staleEpoch: newest } : { ok: false, reason: 'replayed' };
    }
    const since = this.window.since(message.from) ?? this.window.generation;
    // The window only lets through packets of the newest epoch seen from this sender, so the
    // nonce learnt here is the one of the sender's latest run that we know of.
    const known = this.peers.get(message.from);
    if (known === undefined || header.epoch >= known.epoch) this.peers.set(message.from, { epoch: header.epoch, nonce: header.nonce });
    const validated = this.echoes(header.echo, since);
    if (validated || isUnchallenged(message)) return { ok: true, validated };
    return { ok: false, reason: 'unvalidated' };
  }

  /**
   * The challenge that answers an unvalidated packet, or one of an epoch below the sender's newest
   * heard (`aboveEpoch`: that epoch). Null when this sender had its share this tick, or, for a
   * stale-epoch packet, when that packet was challenged already or the sender had one such challenge
   * lately (stale-epoch-challenges.ts: a replayed capture must not become a stream of challenges).
   */
  challenge(packet: Packet, fromAddr: string | undefined, aboveEpoch?: number): Outbound | null {
    const { header, message } = packet;
    if (aboveEpoch !== undefined) {
      if (!this.staleChallenges.take(message.from, header.epoch, header.seq, this.now)) return null;
    } else {
      const count = this.challengesThisTick.get(message.from) ?? 0;
      if (count >= this.challengesPerTick) return null;
      this.challengesThisTick.set(message.from, count + 1);
    }
    return {
      dest: { kind: 'node', name: message.from, addr: fromAddr },
      message: { type: 'challenge', tier: message.tier, group: message.group, from: this.settings.self, to: message.from, term: 0, forEpoch: header.epoch, forSeq: header.seq, ...(aboveEpoch === undefined ? {} : { aboveEpoch }) },
    };
  }

  /**
   * A peer challenged one of our packets: resend it once to that peer, if it is from this run,
   * recent, and was sent without the peer's current nonce (the guard learnt the nonce from the
   * challenge's header just before).
   */
  answerChallenge(challenge: Extract<Message, { type: 'challenge' }>, fromAddr: string | undefined): Outbound | null {
    if (challenge.forEpoch !== this.epoch) return null;
    if (challenge.aboveEpoch !== undefined) {
      this.moveEpochAbove(challenge.aboveEpoch);
      return null;
    }
    const entry = this.sent.get(challenge.forSeq);
    if (entry === undefined || this.now - entry.at > this.resendTicks) return null;
    const peer = this.peers.get(challenge.from);
    if (peer === undefined || peer.nonce === entry.echo || entry.resentTo.has(challenge.from)) return null;
    entry.resentTo.add(challenge.from);
    const dest: Destination = { kind: 'node', name: challenge.from, addr: fromAddr ?? (entry.out.dest.kind === 'node' ? entry.out.dest.addr : undefined) };
    return entry.out.bulk ? { dest, message: entry.out.message, bulk: true } : { dest, message: entry.out.message };
  }

  /**
   * The sequence ran out (2^32 packets: about 24 days for a super peer of 2,000 members): a
   * wrapped sequence would be a replay to every peer, and the node would fall silent until
   * restarted. So the epoch grows by one, as at a start, and the sequence begins again; peers
   * take a newer epoch as they take a restarted sender's. The nonce stays (echoes of it still
   * prove freshness), and packets of the old epoch are no longer resent on a challenge.
   */
  private nextEpoch(): void {
    this.epoch = (this.epoch + 1) >>> 0;
    this.seq = 0;
    this.sent.clear();
    this.sentOrder.length = 0;
    this.epochToPersist = this.epoch;
  }

  /**
   * A peer holds a newer epoch for our name than the one we send under, so it drops every packet
   * of ours as a replay: this node was re-added with no state file, and its first epoch (its
   * host's clock in seconds, state-file.ts) is below the one an earlier node of this name reached.
   * Without this it stayed shut out until that peer restarted. The challenge names a packet of our
   * current epoch, so it was made in reply to this run (a challenge captured earlier names another
   * epoch and does nothing); it is authenticated like any packet, so only a holder of the grid key
   * can move the epoch, and never back. The jump stops well short of the last epoch (HIGHEST_JUMP).
   */
  private moveEpochAbove(epoch: number): void {
    if (epoch < this.epoch || epoch >= HIGHEST_JUMP) return;
    this.epoch = epoch;
    this.nextEpoch();
  }

  /**
   * The epoch to put on disk before the packets stamped since the last call leave (null: none
   * new): a restart must begin above every epoch this run used.
   */
  takeEpochToPersist(): number | null {
    const epoch = this.epochToPersist;
    this.epochToPersist = null;
    return epoch;
  }

  /** Senders tracked (for tests and metrics). */
  get trackedPeers(): number {
    return this.peers.size;
  }

  /** Senders whose replay window is kept (for tests and metrics). */
  get trackedSenders(): number {
    return this.window.trackedSenders;
  }
}
