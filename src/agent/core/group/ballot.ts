import { randomInt } from '../prng.js';
import type { Message, Peer } from '../types.js';
import { bootstrapQuorum, compareViews, hasQuorum } from '../view.js';
import type { GroupContext, MessageBody } from './context.js';
import type { Discovery } from './discovery.js';

/** The grants a candidate (or pre-candidate) has collected. */
export class Tally {
  /** By voter key (node name, or region voter slot). */
  readonly votes = new Map<string, Peer>();
  /** Distinct bootstrap ballots (nodes, or sub-grids for the region tier). */
  readonly ballots = new Set<string>();

  add(key: string, peer: Peer, ballotOf: string): void {
    this.votes.set(key, peer);
    this.ballots.add(ballotOf);
  }

  /** Granted votes as quorum keys: slots, plus names (a region view written before slots existed lists names). */
  grantedKeys(): Set<string> {
    const keys = new Set<string>(this.votes.keys());
    for (const peer of this.votes.values()) keys.add(peer.name);
    return keys;
  }
}

/**
 * A better-ranked fresh node stops refusing worse candidates once this many of its own bootstrap
 * campaigns were lost. One can be lost to a race (a candidate of a higher term it had not heard
 * of yet: the refusals teach it that term); three in a row mean its messages do not get through.
 */
const CAMPAIGNS_BEFORE_YIELDING = 3;

/**
 * Has a bootstrap candidate campaigned long enough that a better-ranked voter yields to it? Longer
 * than a grace (`bootstrapGrace`, in ticks, more than 0: with none, keepsVoteFrom never asks), by
 * the candidate's own count (docs/agent.md): the better node had that grace to stand in. A request
 * that does not say how long (an older agent) has not.
 */
function campaignedPastGrace(campaignedTicks: number | undefined, bootstrapGrace: number): boolean {
  return campaignedTicks !== undefined && campaignedTicks > bootstrapGrace;
}

/** A voter's answer to a (pre-)vote request: grant it, refuse it, or point a non-fresh asker at the group that exists. */
export type Verdict = 'grant' | 'refuse' | 'notFresh';

/**
 * What makes one kind of election: who is asked, what wins, how long a candidate waits, and the
 * rules a voter grants by. The election itself (election.ts) is the same for both kinds: PreVote,
 * then a durable vote for itself in a new term, then votes from the others.
 */
export interface Ballot {
  readonly bootstrap: boolean;
  /** Who is asked. */
  electorate(): { name: string; addr?: string }[];
  /** The body of a pre-vote (for `term`) or vote request. */
  request(type: 'preVote' | 'vote', term: number, transfer: boolean): MessageBody;
  won(tally: Tally): boolean;
  /** The randomised timeout of a campaign, in ticks. */
  timeout(): number;
  /** Before anything else (and before the voter moves to the request's term). */
  screen(message: Extract<Message, { type: 'preVote' | 'vote' }>): Verdict | null;
  preVoteVerdict(message: Extract<Message, { type: 'preVote' }>): Verdict;
  /** After the voter moved to the request's term: may it give its one vote of that term? */
  voteVerdict(message: Extract<Message, { type: 'vote' }>): Verdict;
}

/** What the ballots need from the election (election.ts). */
export interface BallotElection {
  /** The voter follows a live leader other than `candidate` (the leader lease). */
  leaseActive(candidate: string): boolean;
  /** The node this one's last bootstrap vote binds it to, or null when free. */
  boundTo(): string | null;
  /** How many of this node's own bootstrap campaigns (pre-vote or vote) timed out without winning. */
  bootstrapCampaignsLost(): number;
  /** Ticks since this node's first bootstrap campaign (0 before it), by its own clock. */
  bootstrapCampaignedTicks(): number;
  /** The Raft election timeout by score rank (view elections). */
  electionTimeout(): number;
  /** Someone is trying to bootstrap: this node waits a full timeout before it stands. */
  postponeBootstrap(): void;
}

/**
 * The normal election: the electorate is the current view's voters, a quorum of the view (of both
 * configurations, while joint) wins. A voter grants only a candidate whose view is at least as
 * new as its own, and, unless the leader itself asked for it (a transfer), only while it has not
 * heard from a live leader within `electionTimeoutMin` (the lease).
 */
export class ViewQuorumBallot implements Ballot {
  readonly bootstrap = false;

  constructor(
    private readonly ctx: GroupContext,
    private readonly election: BallotElection,
  ) {}

  electorate(): { name: string; addr?: string }[] {
    return this.ctx.state.view === null ? [] : this.ctx.otherVoters(this.ctx.state.view);
  }

  request(type: 'preVote' | 'vote', term: number, transfer: boolean): MessageBody {
    const view = this.ctx.state.view;
    const viewId = { viewTerm: view?.term ?? 0, viewVersion: view?.version ?? 0 };
    if (type === 'preVote') return { type, term, ...viewId };
    return { type, ...viewId, bootstrap: false, transfer, score: this.ctx.host.selfInfo().score };
  }

  won(tally: Tally): boolean {
    return this.ctx.state.view !== null && hasQuorum(this.ctx.state.view, tally.grantedKeys());
  }

  timeout(): number {
    return this.election.electionTimeout();
  }

  screen(message: Extract<Message, { type: 'preVote' | 'vote' }>): Verdict | null {
    return message.type === 'vote' && !message.transfer && this.election.leaseActive(message.from) ? 'refuse' : null;
  }

  preVoteVerdict(message: Extract<Message, { type: 'preVote' }>): Verdict {
    // PreVote changes nothing here: a partitioned node cannot inflate terms and unseat a healthy leader.
    return message.term > this.ctx.state.term && this.upToDate(message) && !this.election.leaseActive(message.from) ? 'grant' : 'refuse';
  }

  voteVerdict(message: Extract<Message, { type: 'vote' }>): Verdict {
    const state = this.ctx.state;
    const free = state.votedFor === null || state.votedFor === message.from;
    return message.term === state.term && free && this.upToDate(message) ? 'grant' : 'refuse';
  }

  /** Is the view a request names at least as new as this voter's? */
  upToDate(message: { viewTerm: number; viewVersion: number }): boolean {
    return compareViews({ term: message.viewTerm, version: message.viewVersion }, this.ctx.state.view) >= 0;
  }
}

/**
 * The first election of a group (no view yet): the electorate is the fresh nodes of the bootstrap
 * electorate, and `floor(expect/2) + 1` distinct ballots win (Consul's bootstrap_expect). A voter
 * takes part only while fresh itself, keeps its vote for itself against a worse-ranked candidate
 * (keepsVoteFrom), and stays bound to a node it voted for until that one shows itself fresh in a
 * later term (a winner never is), so that once a bootstrap has been won no later one can be.
 */
export class BootstrapBallot implements Ballot {
  readonly bootstrap = true;

  constructor(
    private readonly ctx: GroupContext,
    private readonly discovery: Discovery,
    private readonly election: BallotElection,
  ) {}

  electorate(): { name: string; addr?: string }[] {
    return this.discovery.liveFreshPeers().map(([name]) => ({ name }));
  }

  request(type: 'preVote' | 'vote', term: number, transfer: boolean): MessageBody {
    const score = this.discovery.bootstrapRankScore();
    const campaignedTicks = this.election.bootstrapCampaignedTicks();
    if (type === 'preVote') return { type, term, viewTerm: 0, viewVersion: 0, bootstrap: true, score, campaignedTicks };
    return { type, viewTerm: 0, viewVersion: 0, bootstrap: true, transfer, score, campaignedTicks };
  }

  won(tally: Tally): boolean {
    return tally.ballots.size >= this.needs();
  }

  /** The bootstrap quorum of this node's electorate (unreachable without one). */
  needs(): number {
    return this.ctx.settings.expect === null ? Number.POSITIVE_INFINITY : bootstrapQuorum(this.ctx.settings.expect);
  }

  timeout(): number {
    const timers = this.ctx.timers;
    return timers.electionTimeoutMin + this.discovery.freshRank() * timers.rankStep + randomInt(this.ctx.settings.random, 0, timers.electionTimeoutMax - timers.electionTimeoutMin);
  }

  screen(message: Extract<Message, { type: 'preVote' | 'vote' }>): Verdict | null {
    if (!this.discovery.inElectorate(message)) return 'notFresh';
    this.discovery.noteFresh(message, message.score ?? 0, true);
    // A node of an existing group, or one added after the first bootstrap, never takes part (nor moves to the candidate's term).
    return this.discovery.canBootstrap() ? null : 'notFresh';
  }

  preVoteVerdict(message: Extract<Message, { type: 'preVote' }>): Verdict {
    const bound = this.election.boundTo();
    // A pre-vote is for a term this node has not voted in yet (it is above its own).
    const granted = message.term > this.ctx.state.term && (bound === null || bound === message.from) && this.ctx.leader === null && !this.keepsVoteFrom(message);
    if (granted) this.election.postponeBootstrap();
    return granted ? 'grant' : 'refuse';
  }

  voteVerdict(message: Extract<Message, { type: 'vote' }>): Verdict {
    const ctx = this.ctx;
    const state = ctx.state;
    const free = state.votedFor === null || state.votedFor === message.from;
    const bound = this.election.boundTo();
    const keepsVote = state.votedFor === null && this.keepsVoteFrom(message);
    return message.term === state.term && free && (bound === null || bound === message.from) && !keepsVote ? 'grant' : 'refuse';
  }

  /**
   * Does this node keep its (pre-)vote for itself against this candidate? A planned first election
   * (bootstrapScore set) ranks by fixed rendered scores on which all nodes agree, so the better node
   * refuses in any term while it could win (standsInstead). Otherwise nodes rank by live scores,
   * which move, so two nodes can each believe they outrank the other: refusing beyond the first
   * vote could keep both from winning for several campaigns, and only term 1's vote is kept (the
   * rank stagger let the best stand first; retries are plain Raft).
   */
  private keepsVoteFrom(message: Extract<Message, { type: 'preVote' | 'vote' }>): boolean {
    // With no grace (`bootstrapGrace: 0`) a planned election holds nothing up for the better node,
    // and keeps what an unplanned one keeps: its term-1 vote, so the first node up does not simply win.
    if (this.ctx.settings.bootstrapScore !== undefined && this.ctx.timers.bootstrapGrace > 0) return this.standsInstead(message);
    return message.type === 'vote' && message.term === 1 && this.canStandAndOutranks(message.from, message.score);
  }

  /**
   * Does this node keep its (pre-)vote of a bootstrap term for itself, because it outranks the
   * candidate and could win that election? In any term, not only the first: an apply deploys in
   * waves, so the sub-grids of a new region elect (and start its election) tens of seconds apart,
   * and a super peer long past its grace stands against the planned region peer still inside its
   * own; granting that one's retry handed it the region. The same within a sub-grid whose planned
   * node restarted, or started a few seconds late. Only while winning is possible, so that a better
   * node never holds the election up for good: eligible and able to stand, bound to no other
   * candidacy, a bootstrap quorum of live fresh nodes in sight, fewer than CAMPAIGNS_BEFORE_YIELDING
   * of its own campaigns lost (its messages do not reach the others), and the candidate has not
   * campaigned longer than a grace. That last one is counted on the candidate's side: a better node
   * that restarts every few seconds starts its grace and its count of lost campaigns again each
   * time, and within its grace stands only once every expected node is there, so with one missing
   * it would refuse forever and never stand. A candidate that campaigned a whole grace gave the
   * better node that grace to stand in; an older agent's request says nothing and is refused as
   * before. With a grace of 0 keepsVoteFrom asks none of this (the unplanned rule instead).
   */
  private standsInstead(message: Extract<Message, { type: 'preVote' | 'vote' }>): boolean {
    const ctx = this.ctx;
    return (
      this.election.boundTo() === null &&
      this.discovery.liveFreshPeers().length + 1 >= this.needs() &&
      this.election.bootstrapCampaignsLost() < CAMPAIGNS_BEFORE_YIELDING &&
      !campaignedPastGrace(message.campaignedTicks, ctx.timers.bootstrapGrace) &&
      this.canStandAndOutranks(message.from, message.score)
    );
  }

  /** Could this node stand, and does it outrank the candidate by bootstrap rank? */
  private canStandAndOutranks(candidate: string, candidateScore: number | undefined): boolean {
    const ctx = this.ctx;
    return (
      ctx.settings.eligible &&
      ctx.host.canStand() &&
      // A request without a score (none of this version's lacks one) is not ranked: refusing it could only stall.
      candidateScore !== undefined &&
      ctx.outranks(this.discovery.bootstrapRankScore(), ctx.self, candidateScore, candidate)
    );
  }
}
