import { randomInt } from '../prng.js';
import type { DepartedWire, Message } from '../types.js';
import { allVoters, voterKey } from '../view.js';
import { BootstrapBallot, Tally, ViewQuorumBallot, type Ballot, type BallotElection } from './ballot.js';
import type { GroupContext } from './context.js';
import type { Discovery } from './discovery.js';
import type { Membership } from './membership.js';

/** What the election needs from the role transitions (engine.ts). */
export interface ElectionRoles {
  observeTerm(term: number, fromLeader?: boolean): void;
  becomePreCandidate(ballot: Ballot): void;
  /** Moves to `term` with this node's own (durable) vote, as a candidate. */
  becomeCandidate(ballot: Ballot, term: number): void;
  becomeLeader(): void;
  /** Back to follower of the current term, with no leader. */
  becomeFollower(): void;
  loseLeader(): void;
  startSearching(): void;
  /** A voter granted a transfer vote: the outgoing leader still serves until its successor won. */
  noteTransferFrom(leader: string): void;
  /** Leader: the target of its transfer under way that asks this leader's vote last, or null. */
  leaderLastTarget(): string | null;
  /** Leader: the names that left for good lately, as its syncs carry them (group/departed.ts). */
  departedToCarry(): DepartedWire[];
}

/** A vote (given, or this node's own) that waits until the vote store holds it. */
interface PendingVote {
  bootstrap: boolean;
  term: number;
  to: string;
  transfer: boolean;
  /** A transfer whose outgoing leader is asked for its vote last. */
  leaderLast?: string;
}

/**
 * One election, Raft's with PreVote, for both kinds of ballot (ballot.ts): the bootstrap of a
 * group that has no view yet, and the normal one among a view's voters. A candidate first asks
 * whether it would win (a pre-vote changes no state, so a node that cannot win inflates no term),
 * then makes its own vote for the next term durable in the vote store, moves to that term, and
 * asks for votes. A voter votes once per term, its vote durable before the answer leaves.
 */
export class Election implements BallotElection {
  readonly viewBallot: ViewQuorumBallot;
  readonly bootstrapBallot: BootstrapBallot;
  /** The ballot of the campaign under way (pre-candidate or candidate), null otherwise. */
  campaign: Ballot | null = null;
  /** The campaign is a leadership transfer's (its vote requests skip the lease, and are repeated). */
  private transferCampaign = false;
  /** A transfer campaign whose outgoing leader (this one) is asked for its vote last. */
  private leaderLast: string | null = null;
  tally = new Tally();
  elapsed = 0;
  randomizedTimeout: number;
  /** Fresh node: when it stands (or retries) in the bootstrap, once scheduled. */
  private bootstrapAt: number | null = null;
  private pendingGrant: PendingVote | null = null;
  private pendingStand: PendingVote | null = null;
  /** This node's bootstrap campaigns that timed out: past a few, it stops refusing worse candidates (ballot.ts). */
  private lostBootstrapCampaigns = 0;
  /**
   * When this node first campaigned in the bootstrap (pre-vote or vote), null before. Its requests
   * carry the time since: a better-ranked voter yields to a candidate that campaigned a whole grace
   * (ballot.ts), by this clock and not its own, which its restarts reset.
   */
  private firstBootstrapCampaignAt: number | null = null;

  constructor(
    private readonly ctx: GroupContext,
    private readonly discovery: Discovery,
    private readonly membership: Membership,
    private readonly roles: ElectionRoles,
  ) {
    this.viewBallot = new ViewQuorumBallot(ctx, this);
    this.bootstrapBallot = new BootstrapBallot(ctx, discovery, this);
    this.randomizedTimeout = this.electionTimeout();
  }

  /** A new term, leader or role: no campaign, and the election timer starts again. */
  reset(): void {
    this.campaign = null;
    this.transferCampaign = false;
    this.leaderLast = null;
    this.bootstrapAt = null;
    this.resetTimer();
  }

  /** Rank follows the registry replica, which changes over time: redraw on every reset. */
  resetTimer(): void {
    this.elapsed = 0;
    if (this.ctx.selfIsVoter()) this.randomizedTimeout = this.electionTimeout();
  }

  /** The region tier stands at once when its predecessor in the slot led the latest region term. */
  standSoon(): void {
    this.randomizedTimeout = randomInt(this.ctx.settings.random, 1, this.ctx.timers.rankStep);
  }

  /** Drops votes waiting for the store (a new super peer adopts its slot afresh). */
  dropPending(): void {
    this.pendingGrant = null;
    this.pendingStand = null;
  }

  electionTimeout(): number {
    const timers = this.ctx.timers;
    return timers.electionTimeoutMin + this.rank() * timers.rankStep + randomInt(this.ctx.settings.random, 0, timers.electionTimeoutMax - timers.electionTimeoutMin);
  }

  /**
   * 0 for the best-scored voter that could stand, so that it usually times out first. Every voter
   * ranks by the same registry copy (the leader's, replicated), its own entry included: comparing
   * its own live score with the others' replicated (older) ones let every mirror of identical
   * machines rank itself behind the others while the load rose, so none stood in the first window
   * (the lab's slow failovers at 0.8 to 1 s). Its live score serves only before it has an entry.
   */
  private rank(): number {
    const ctx = this.ctx;
    const selfScore = ctx.registry.get(ctx.self)?.score ?? ctx.host.selfInfo().score;
    let rank = 0;
    for (const voter of allVoters(ctx.state.view)) {
      const holder = ctx.holderOf(voter).name;
      if (voterKey(voter) === ctx.selfKey || holder === ctx.self || holder === ctx.leader) continue;
      const entry = ctx.registry.get(holder);
      if (entry === undefined || !entry.eligible || entry.liveness === 'dead') continue;
      if (ctx.outranks(entry.score, holder, selfScore, ctx.self)) rank++;
    }
    return rank;
  }

  leaseActive(candidate: string): boolean {
    const ctx = this.ctx;
    if (ctx.role === 'leader') return true;
    return ctx.leader !== null && ctx.leader !== candidate && ctx.now - this.membership.lastLeaderContact < ctx.leaderPatience(ctx.timers.electionTimeoutMin);
  }

  /**
   * The node this one's last bootstrap vote went to, while that node may have won with it: until
   * it is seen fresh in a later term, this node votes for no one else and does not stand. (A node
   * that wins keeps a view, and so is never fresh again.) Null when free.
   */
  boundTo(): string | null {
    const last = this.ctx.votes.boundBallot();
    if (last === null || last.to === this.ctx.self) return null;
    return this.discovery.hasNotWon(last.to, last.term) ? null : last.to;
  }

  bootstrapCampaignsLost(): number {
    return this.lostBootstrapCampaigns;
  }

  /**
   * A region tier that wakes again (this node a super peer once more) starts its bootstrap
   * campaigning afresh: what it campaigned in an earlier spell says nothing of this search, and
   * carried over it would make better-ranked voters yield to it at once (ballot.ts).
   */
  forgetBootstrapCampaigns(): void {
    this.lostBootstrapCampaigns = 0;
    this.firstBootstrapCampaignAt = null;
  }

  bootstrapCampaignedTicks(): number {
    return this.firstBootstrapCampaignAt === null ? 0 : this.ctx.now - this.firstBootstrapCampaignAt;
  }

  postponeBootstrap(): void {
    this.bootstrapAt = null;
  }

  /** A voter of the current view that may stand. */
  canCampaign(): boolean {
    return this.ctx.settings.eligible && this.ctx.host.canStand() && this.ctx.selfIsVoter();
  }

  // ---- ticking ------------------------------------------------------------------------------

  /** Follower: the election timer (a voter), or the bootstrap schedule (a fresh node). */
  tickFollower(): void {
    if (this.canCampaign()) {
      this.elapsed++;
      // Local health: a node that runs late (or whose leader says it does) waits longer, and never
      // stands in a tick that itself ran late (the leader's syncs may sit unread in its socket buffer).
      const health = this.ctx.health;
      if (this.elapsed >= this.ctx.leaderPatience(this.randomizedTimeout) && !health.laggingNow) {
        // A pre-vote changes no state: the leader is dropped only once a quorum agrees it is gone
        // (stand()). A voter that merely missed syncs (a flooded socket) and is refused keeps
        // naming its leader, and follows it again at the next sync.
        this.preVote(this.viewBallot);
      }
    } else {
      this.tickBootstrap();
    }
  }

  /**
   * Pre-candidate or candidate: a campaign that did not win in time starts over. A transfer target
   * asks again every tick the voters that have not granted yet (a vote is idempotent within a
   * term): one lost or challenged request must not cost the group its transfer.
   */
  tickCampaign(): void {
    const campaign = this.campaign;
    this.elapsed++;
    const transferCampaign = this.transferCampaignUnderWay();
    if (transferCampaign !== null) this.askAgain(transferCampaign);
    if (campaign !== null && !campaign.bootstrap && this.ctx.role === 'preCandidate') this.askPreVoteAgain(campaign);
    // A fresh node keeps discovering while it stands: its fresh peers stay known, and a leader is found.
    if (campaign?.bootstrap && this.discovery.searching) this.discovery.tick();
    if (this.elapsed < this.randomizedTimeout) return;
    if (campaign?.bootstrap) this.bootstrapTimedOut();
    else this.preVote(this.viewBallot);
  }

  /**
   * The bootstrap schedule: a fresh node stands in term 1 after discovery, and a split vote (or a
   * partition) is retried in a new term after a randomised timeout, behind a pre-vote among the
   * fresh nodes. Safety: each node (region tier: each voter slot) votes once per term, its vote
   * durable before it leaves, and at most `expect` fresh nodes take part, so two bootstrap quorums
   * of one term intersect; and a node bound to another's candidacy (boundTo) does not stand, so
   * once a bootstrap has been won, no later bootstrap term can be, and a second group never forms.
   */
  private tickBootstrap(): void {
    const ctx = this.ctx;
    const timers = ctx.timers;
    if (!this.discovery.searching || !this.discovery.canBootstrap()) return;
    if (!ctx.settings.eligible || !ctx.host.canStand()) return;
    const searchingFor = ctx.now - this.discovery.startedAt;
    if (searchingFor < timers.bootstrapAfter) return;
    const live = this.discovery.liveFreshPeers();
    if (live.length + 1 < this.bootstrapBallot.needs()) return;
    if (ctx.settings.bootstrapScore !== undefined && searchingFor < timers.bootstrapGrace) {
      // A planned first election: within the grace, only the best-ranked of all expected nodes stands.
      if (live.length + 1 < ctx.settings.expect! || this.discovery.freshRank() > 0) return;
    } else if (ctx.settings.bootstrapScore !== undefined && this.discovery.betterPeerStillInGrace()) {
      // Past the grace, a better-ranked node that came later (its agent started late, or near this
      // one's grace's end) stands itself within its own grace: once its discovery is over if every
      // expected node is there, else at the grace's end. Waiting for that keeps the election the
      // planned one, in term 1; standing before it would only be refused (ballot.ts) and cost a
      // term, not time. The time to stand is drawn again afterwards, by the rank among the nodes
      // then present: one drawn before the better node came would fire beside it.
      this.bootstrapAt = null;
      return;
    }
    if (this.boundTo() !== null) {
      this.bootstrapAt = null;
      return;
    }
    if (this.bootstrapAt === null) {
      // The best-scored fresh node stands first; the others wait a rank step each. A retry waits
      // a randomised election timeout, so that a split vote does not repeat.
      this.bootstrapAt =
        ctx.state.term === 0 ? ctx.now + this.discovery.freshRank() * timers.rankStep + randomInt(ctx.settings.random, 0, 2) : ctx.now + this.bootstrapBallot.timeout();
    }
    if (ctx.now < this.bootstrapAt) return;
    if (ctx.state.term === 0) this.stand(this.bootstrapBallot, false);
    else this.preVote(this.bootstrapBallot);
  }

  /** A bootstrap candidate or pre-candidate that did not win in time tries again, in a new term. */
  private bootstrapTimedOut(): void {
    const ctx = this.ctx;
    this.lostBootstrapCampaigns++;
    if (
      this.discovery.canBootstrap() &&
      ctx.settings.eligible &&
      ctx.host.canStand() &&
      this.boundTo() === null &&
      this.discovery.liveFreshPeers().length + 1 >= this.bootstrapBallot.needs()
    ) {
      // From here on a late vote for the old term is ignored: this node can no longer win it.
      this.preVote(this.bootstrapBallot);
      return;
    }
    this.roles.becomeFollower();
    this.elapsed = 0;
    if (!this.discovery.searching) this.roles.startSearching();
  }

  // ---- candidate side -----------------------------------------------------------------------

  /** Asks the electorate whether it would vote for this node in the next term. Changes no state. */
  preVote(ballot: Ballot): void {
    const ctx = this.ctx;
    if (!ballot.bootstrap && (ctx.state.view === null || !this.canCampaign())) {
      this.roles.becomeFollower();
      this.elapsed = 0;
      return;
    }
    if (ballot.bootstrap) {
      this.bootstrapAt = null;
      this.firstBootstrapCampaignAt ??= ctx.now;
    }
    this.roles.becomePreCandidate(ballot);
    this.tally = this.ownTally();
    this.elapsed = 0;
    this.randomizedTimeout = ballot.timeout();
    ctx.event({ type: 'electionStarted', tier: ctx.settings.tier, term: ctx.state.term + 1, phase: 'preVote' });
    for (const target of ballot.electorate()) ctx.sendTo(target.name, ballot.request('preVote', ctx.state.term + 1, false), false, target.addr);
    if (ballot.won(this.tally)) this.stand(ballot, false);
  }

  /**
   * Stands in the next term: its own vote first becomes durable in the vote store (region tier:
   * committed in the sub-grid's slot, so 'pending' for a moment), then it moves to the term and
   * asks for votes. `transfer`: the leader asked for it (timeoutNow), so voters skip the lease.
   */
  stand(ballot: Ballot, transfer: boolean, leaderLast?: string): void {
    const ctx = this.ctx;
    const term = ctx.state.term + 1;
    const own = ctx.votes.commit(term, ctx.self, ballot.bootstrap);
    if (own === 'pending') {
      this.pendingStand = { bootstrap: ballot.bootstrap, term, to: ctx.self, transfer, ...(leaderLast !== undefined ? { leaderLast } : {}) };
      return;
    }
    this.pendingStand = null;
    if (own === 'refused') {
      this.bootstrapAt = null;
      this.roles.becomeFollower();
      this.elapsed = 0;
      return;
    }
    if (!transfer && ctx.leader !== null && ctx.leader !== ctx.self) this.roles.loseLeader();
    if (ballot.bootstrap) this.firstBootstrapCampaignAt ??= ctx.now;
    this.roles.becomeCandidate(ballot, term);
    this.tally = this.ownTally();
    this.transferCampaign = transfer;
    this.leaderLast = leaderLast ?? null;
    this.elapsed = 0;
    this.randomizedTimeout = ballot.timeout();
    ctx.event({ type: 'electionStarted', tier: ctx.settings.tier, term, phase: ballot.bootstrap ? 'bootstrap' : transfer ? 'transfer' : 'vote' });
    for (const target of ballot.electorate()) if (target.name !== this.leaderLast) ctx.sendTo(target.name, ballot.request('vote', term, transfer), false, target.addr);
    this.countedOne(ballot);
  }

  /**
   * After a grant: won, or (a transfer whose leader votes last) time to ask the leader, whose vote
   * is all that is missing. The leader's grant is required: it has stepped down by then, so the
   * outgoing and the incoming leader never lead at once.
   */
  private countedOne(ballot: Ballot): void {
    const leader = this.leaderLast;
    if (leader === null) {
      if (ballot.won(this.tally)) this.roles.becomeLeader();
      return;
    }
    if (this.grantedNames().has(leader)) {
      if (ballot.won(this.tally)) this.roles.becomeLeader();
      return;
    }
    if (this.withLeader(ballot)) this.ctx.sendTo(leader, ballot.request('vote', this.ctx.state.term, true));
  }

  /** Would the tally win with the outgoing leader's vote added? */
  private withLeader(ballot: Ballot): boolean {
    const leader = this.leaderLast!;
    const tally = new Tally();
    for (const [key, peer] of this.tally.votes) tally.add(key, peer, key);
    tally.add(leader, { name: leader }, leader);
    return ballot.won(tally);
  }

  /**
   * A pre-candidate asks again, every tick, the voters that have not granted its pre-vote yet. Its
   * timer and theirs count ticks from the same last sync, but each process ticks at its own moment:
   * a voter whose lease has a tick left refuses, and without this the candidate would wait a whole
   * election timeout (0.5 s or more) before asking again, although that lease ends within 0.1 s.
   * This was the slow tail of a super peer's failover on real nodes (about 1 s instead of 0.7 s).
   * A pre-vote changes no state, so asking again is harmless; it costs packets only while a
   * failover is under way.
   */
  private askPreVoteAgain(ballot: Ballot): void {
    const granted = this.grantedNames();
    const request = ballot.request('preVote', this.ctx.state.term + 1, false);
    for (const target of ballot.electorate()) if (!granted.has(target.name)) this.ctx.sendTo(target.name, request, false, target.addr);
  }

  /** The names of the voters that granted this campaign (a region tier's tally is keyed by voter slot, not name). */
  private grantedNames(): Set<string> {
    return new Set([...this.tally.votes.values()].map((peer) => peer.name));
  }

  private askAgain(ballot: Ballot): void {
    const granted = this.grantedNames();
    for (const target of ballot.electorate()) {
      if (granted.has(target.name) || (target.name === this.leaderLast && !this.withLeader(ballot))) continue;
      this.ctx.sendTo(target.name, ballot.request('vote', this.ctx.state.term, true), false, target.addr);
    }
  }

  private ownTally(): Tally {
    const tally = new Tally();
    tally.add(this.ctx.selfKey, this.ctx.selfPeer(), this.ctx.votes.ballotIdentity);
    return tally;
  }

  onPreVoteResp(message: Extract<Message, { type: 'preVoteResp' }>): void {
    const ctx = this.ctx;
    if (message.term > ctx.state.term) {
      this.roles.observeTerm(message.term);
      return;
    }
    const campaign = this.campaign;
    if (ctx.role !== 'preCandidate' || campaign === null || campaign.bootstrap !== (message.bootstrap === true)) return;
    if (message.forTerm !== ctx.state.term + 1 || !message.granted) return;
    if (!campaign.bootstrap && ctx.state.view === null) return;
    this.count(message);
    if (campaign.won(this.tally)) this.stand(campaign, false);
  }

  onVoteResp(message: Extract<Message, { type: 'voteResp' }>): void {
    const ctx = this.ctx;
    if (message.term > ctx.state.term) {
      this.roles.observeTerm(message.term);
      return;
    }
    const campaign = this.campaign;
    if (ctx.role !== 'candidate' || message.term !== ctx.state.term || !message.granted) return;
    if (campaign === null || message.bootstrap !== campaign.bootstrap) return;
    this.count(message);
    this.countedOne(campaign);
  }

  private count(message: Extract<Message, { type: 'preVoteResp' | 'voteResp' }>): void {
    const [key, peer] = this.ctx.peerOf(message);
    this.tally.add(key, peer, message.ballotOf ?? message.from);
  }

  // ---- voter side ---------------------------------------------------------------------------

  onPreVote(message: Extract<Message, { type: 'preVote' }>): void {
    const ballot = this.ballotFor(message);
    if (ballot.screen(message) === 'notFresh') return this.answerNotFresh(message.from);
    const granted = ballot.preVoteVerdict(message) === 'grant';
    const ballotOf = ballot.bootstrap ? { bootstrap: true, ballotOf: this.ctx.votes.ballotIdentity } : {};
    this.ctx.sendTo(message.from, { type: 'preVoteResp', forTerm: message.term, granted, ...ballotOf });
    this.teachDroppedVoter(message);
  }

  /**
   * A leader asked for a pre-vote by a node that is no longer one of its voters (a mirror replaced
   * while it was not listening, so it still campaigns on its old view) sends it the current view:
   * it learns it is a plain member, and follows. With sub-second election timeouts such a node can
   * lose its leader before its next heartbeat would have brought the view.
   */
  private teachDroppedVoter(message: Extract<Message, { type: 'preVote' }>): void {
    const ctx = this.ctx;
    const view = ctx.state.view;
    if (ctx.role !== 'leader' || view === null || message.bootstrap) return;
    const key = message.slot ?? message.from;
    if (allVoters(view).some((peer) => voterKey(peer) === key || peer.name === message.from)) return;
    ctx.sendTo(message.from, { type: 'sync', view });
  }

  onVote(message: Extract<Message, { type: 'vote' }>): void {
    const ctx = this.ctx;
    const ballot = this.ballotFor(message);
    const screened = ballot.screen(message);
    if (screened === 'notFresh') return this.answerNotFresh(message.from);
    if (screened === 'refuse') return this.answerVote(ballot, false, message.from);
    if (this.teachTargetFirst(message)) return;
    if (message.transfer && message.term > ctx.state.term && ctx.leader !== null && ctx.role === 'follower') this.roles.noteTransferFrom(ctx.leader);
    // A transfer vote request reaching the outgoing leader is its target asking for the last vote it needs: step down and give it.
    if (message.term > ctx.state.term) this.roles.observeTerm(message.term, message.transfer);
    if (ballot.voteVerdict(message) !== 'grant') return this.answerVote(ballot, false, message.from);
    if (!ballot.bootstrap) this.resetTimer();
    this.castVote({ bootstrap: ballot.bootstrap, term: message.term, to: message.from, transfer: message.transfer });
  }

  /**
   * The outgoing leader, asked for the last vote by its transfer target holding an older view than
   * this leader's, stays leader and sends the target its view. It may have written a view after the
   * target stood: a region peer hands over both roles at once, and its region successor's vote
   * request makes it write the slot's vote into the sub-grid view. Stepping down and refusing, as
   * Raft would, left the target unable to win (it asked again with the same view) and the sub-grid
   * without a super peer until an election timeout (0.6 s in a rolling upgrade on the lab). The
   * target learns the view (replication.ts, the lower-term sync) and asks again at once.
   */
  private teachTargetFirst(message: Extract<Message, { type: 'vote' }>): boolean {
    const ctx = this.ctx;
    const view = ctx.state.view;
    if (!message.transfer || view === null || message.term !== ctx.state.term + 1 || message.from !== this.roles.leaderLastTarget()) return false;
    if (this.viewBallot.upToDate(message)) return false;
    // A target this view no longer counts as a voter would lead outside its own view: refused, as before.
    if (!allVoters(view).some((voter) => voter.name === message.from)) return false;
    // With the names that left for good, as any sync: the target is about to lead, and the view it
    // lacks may be the one that drops a voter whose leaves it missed.
    const departed = this.roles.departedToCarry();
    ctx.sendTo(message.from, { type: 'sync', view, ...(departed.length > 0 ? { departed } : {}) });
    return true;
  }

  /** A transfer target whose outgoing leader (`name`) is asked for its vote last: it still learns that leader's views (replication.ts). */
  awaitsLastVoteOf(name: string): boolean {
    return this.transferCampaignUnderWay() !== null && this.leaderLast === name;
  }

  /** The target learned a newer view from its outgoing leader: it asks again with that view at once, not at the next tick. */
  askAgainNow(): void {
    const campaign = this.transferCampaignUnderWay();
    if (campaign !== null) this.askAgain(campaign);
  }

  /** The campaign under way was asked for by its leader (timeoutNow): winning it replaces no lost leader. */
  get campaignIsTransfer(): boolean {
    return this.transferCampaign;
  }

  /** The campaign, while this node stands as a transfer's target. */
  private transferCampaignUnderWay(): Ballot | null {
    return this.transferCampaign && this.ctx.role === 'candidate' ? this.campaign : null;
  }

  /** Gives this node's one vote of `term`: durable in the vote store first, then it leaves. */
  private castVote(vote: PendingVote): void {
    const ctx = this.ctx;
    const durable = ctx.votes.commit(vote.term, vote.to, vote.bootstrap);
    if (durable === 'pending') {
      this.pendingGrant = vote;
      return;
    }
    this.pendingGrant = null;
    const granted = durable === 'committed';
    if (granted) {
      ctx.state.votedFor = vote.to;
      if (vote.bootstrap) {
        ctx.votes.noteBootstrapGrant({ term: vote.term, to: vote.to });
        this.bootstrapAt = null;
      }
      ctx.persist();
    }
    this.answerVote(vote.bootstrap ? this.bootstrapBallot : this.viewBallot, granted, vote.to);
  }

  private answerVote(ballot: Ballot, granted: boolean, to: string): void {
    const ballotOf = ballot.bootstrap ? { ballotOf: this.ctx.votes.ballotIdentity } : {};
    this.ctx.sendTo(to, { type: 'voteResp', granted, bootstrap: ballot.bootstrap, ...ballotOf });
  }

  /** Answers a node that is not fresh, or asks from outside the electorate: point it at the group that exists. */
  private answerNotFresh(from: string): void {
    if (this.ctx.role === 'leader') this.ctx.sendTo(from, { type: 'announce' });
    else this.ctx.redirectTo(from);
  }

  private ballotFor(message: Extract<Message, { type: 'preVote' | 'vote' }>): Ballot {
    return message.bootstrap ? this.bootstrapBallot : this.viewBallot;
  }

  /**
   * Region tier, after the sub-grid moved: a vote (given or our own) that waited for the slot
   * leaves, or our candidacy goes ahead, once the slot holds it.
   */
  storeProgress(): void {
    const ctx = this.ctx;
    const grant = this.pendingGrant;
    if (grant !== null) {
      const stale = grant.term !== ctx.state.term || (ctx.state.votedFor !== null && ctx.state.votedFor !== grant.to) || (grant.bootstrap && !this.discovery.isFresh());
      if (stale) this.pendingGrant = null;
      else this.castVote(grant);
    }
    const stand = this.pendingStand;
    if (stand !== null) {
      this.pendingStand = null;
      if (stand.term !== ctx.state.term + 1) return;
      if (stand.bootstrap) {
        const stillSearching = ctx.role === 'follower' ? this.discovery.searching && ctx.leader === null : ctx.role === 'preCandidate' && this.campaign?.bootstrap === true;
        if (this.discovery.isFresh() && this.boundTo() === null && stillSearching) this.stand(this.bootstrapBallot, false);
      } else if (this.canCampaign() && (stand.transfer || ctx.role === 'preCandidate')) {
        this.stand(this.viewBallot, stand.transfer, stand.leaderLast);
      }
    }
  }
}
