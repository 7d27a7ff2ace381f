import type { MemberRecord } from '../registry.js';
import { holdsRatherThan } from '../subgrid-holders.js';
import type { Peer, View } from '../types.js';
import { sameVoterKeys, sameVoters, voterKey, voterMoved } from '../view.js';
import type { GroupContext } from './context.js';

/** A member's standing score (no load, full uptime), or its live one from an agent that sends none. */
function standingOf(entry: MemberRecord | undefined): number {
  return entry?.standing ?? entry?.score ?? 0;
}

/**
 * Whether a hysteresis swap may weigh this member: only with a standing score. An older agent sends
 * none, and its live score moves with its load: in a rolling upgrade an old mirror at load 6 (live
 * 65) was swapped for an idle upgraded member (standing 101), and back as loads moved. Such a member
 * only fills a vacancy, and stays a mirror until it is dead, gone, or upgraded.
 */
function hasStanding(entry: MemberRecord | undefined): boolean {
  return entry?.standing !== undefined;
}

/**
 * The voter set the leader drives towards: itself plus the best live eligible members. Current
 * mirrors stay unless dead or gone from the registry (a new leader gives both a grace period: it
 * has not heard them itself yet), or unless someone beats the weakest one by the hysteresis
 * margin: churning voters costs two commits each time, and a new mirror starts without a copy.
 * Members are ranked by standing score, as the leader's own rebalance (transfer.ts): the live
 * score moves with load every few seconds, and swapped a busy mirror for an idle member and back
 * whenever loads moved. Load only ranks the candidates of an election after a failure. A member
 * from an older agent (no standing score) takes no part in a swap, either side (hasStanding).
 * `selfLeaving` (a leader that left for good): the voters without itself, as Raft removes its
 * leader, unless nobody else could vote; it stays out of the challengers too.
 */
export function desiredVoters(ctx: GroupContext, current: Peer[], options: { leaderSince: number; departed: { has(name: string): boolean }; selfLeaving?: boolean }): Peer[] {
  const settings = ctx.settings;
  const selfKey = ctx.selfKey;
  const { departed } = options;
  const selfLeaving = options.selfLeaving === true;
  const graceOver = ctx.now - options.leaderSince > 2 * settings.timers.suspectAfter;
  // Region tier: a voter is a slot (a sub-grid), held by whichever live super peer it has now.
  const slotted = settings.tier === 'region';
  const keyOf = (entry: MemberRecord): string => (slotted ? (entry.summary?.subgrid ?? entry.name) : entry.name);
  const asPeer = (entry: MemberRecord): Peer => ({ name: entry.name, addr: entry.addr, ...(slotted ? { slot: keyOf(entry) } : {}) });
  const liveByKey = new Map<string, MemberRecord>();
  const anyByKey = new Set<string>();
  for (const entry of ctx.registry.list()) {
    // A dead entry counts as absent: within a new leader's grace it is its predecessor's word from
    // the registry copy (with the default timers its own detection takes longer than the grace),
    // and a voter it has not heard yet is kept through the grace, dead in that copy or missing
    // from it alike. A successor that dropped copied-dead voters at once could keep only itself
    // and its dead predecessor (restarted alive), and no quorum.
    if (entry.liveness !== 'dead') anyByKey.add(keyOf(entry));
    if (!entry.eligible || entry.liveness === 'dead' || departed.has(keyOf(entry))) continue;
    // A slot's holder as the region peer names it in its answers (subgrid-holders.ts): not the first
    // live entry by name, which after a region failover could be a crashed super peer its successor tied with.
    const known = liveByKey.get(keyOf(entry));
    if (known === undefined || (slotted ? holdsRatherThan(entry, known) : known.liveness !== 'alive' && entry.liveness === 'alive')) liveByKey.set(keyOf(entry), entry);
  }
  const kept: Peer[] = [];
  for (const peer of current) {
    const key = voterKey(peer);
    if (key === selfKey || peer.name === settings.self) continue;
    const entry = liveByKey.get(key);
    if (entry !== undefined) kept.push({ ...peer, ...asPeer(entry), addr: entry.addr ?? peer.addr });
    else if (!anyByKey.has(key) && !graceOver && !departed.has(key) && !departed.has(peer.name)) kept.push(peer);
  }
  if (!selfLeaving) kept.unshift(ctx.selfPeer());
  const keptKeys = new Set([...kept.map(voterKey), selfKey]);
  const challengers = [...liveByKey.entries()]
    // Autopilot: a member that signed in later becomes a voter only once it is stable.
    .filter(([key, entry]) => entry.liveness === 'alive' && entry.stable !== false && !keptKeys.has(key))
    .map(([, entry]) => entry)
    .sort((a, b) => (ctx.outranks(standingOf(a), a.name, standingOf(b), b.name) ? -1 : 1));
  const target = 1 + settings.mirrors;
  while (kept.length < target && challengers.length > 0) kept.push(asPeer(challengers.shift()!));
  const scoreOf = (name: string): number => standingOf(ctx.registry.get(name));
  const mirrors = kept.filter((peer) => peer.name !== settings.self && hasStanding(ctx.registry.get(peer.name))).sort((a, b) => scoreOf(a.name) - scoreOf(b.name));
  const weakest = mirrors[0];
  const best = challengers.find(hasStanding);
  if (weakest !== undefined && best !== undefined && kept.length >= target && standingOf(best) > scoreOf(weakest.name) * (1 + settings.hysteresis)) {
    kept.splice(kept.indexOf(weakest), 1, asPeer(best));
  }
  while (kept.length > target) {
    const weakestNow = kept.filter((peer) => peer.name !== settings.self).sort((a, b) => scoreOf(a.name) - scoreOf(b.name))[0]!;
    kept.splice(kept.indexOf(weakestNow), 1);
  }
  // Leaving with no other voter to hand the group to: it stays the last one (a sub-grid's last node gives its slot up instead).
  if (kept.length === 0) kept.push(ctx.selfPeer());
  return kept.map((peer) => ({ ...peer, addr: ctx.registry.get(peer.name)?.addr ?? peer.addr }));
}

/**
 * The next view on the way to `desired`, one joint-consensus step at a time (Raft §6): a joint
 * view (old and new voters, both majorities needed) first, then the new voters alone. A slot
 * that passed to its sub-grid's new super peer keeps the same quorums: only the holder changes;
 * so does a voter that moved to another address.
 * Null when the committed view `view` is already there.
 */
export function nextView(view: View, desiredVoters: () => Peer[], term: number): View | null {
  if (view.oldVoters !== undefined) {
    const next = { ...view, term, version: view.version + 1 };
    delete next.oldVoters;
    return next;
  }
  const desired = desiredVoters();
  if (!sameVoterKeys(desired, view.voters)) return { ...view, term, version: view.version + 1, voters: desired, oldVoters: view.voters };
  // Same quorums, so no joint step: a slot with a new holder, or a voter heard at a new address.
  // The view is what a restarted voter reads its peers' addresses from (review H3).
  if (!sameVoters(desired, view.voters) || voterMoved(view.voters, desired)) return { ...view, term, version: view.version + 1, voters: desired };
  return null;
}
