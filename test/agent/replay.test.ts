import { jest } from '@jest/globals';
import { isUnchallenged, PacketGuard } from '../../src/agent/core/guard.js';
import type { Message, MessageType } from '../../src/agent/core/types.js';
import type { SimNetwork, WirePacket } from '../../src/agent/sim/network.js';
import { leaderOf, smallCluster } from './sim-helpers.js';

/** An attacker on the wire: records every packet delivered, by receiver. */
function recorder(network: SimNetwork): { packets: WirePacket[]; to(name: string): WirePacket[] } {
  const packets: WirePacket[] = [];
  network.onWire((packet) => packets.push(packet));
  return { packets, to: (name) => packets.filter((packet) => packet.to === name) };
}

/** Counts the core's drops by reason, per node. */
function drops(network: SimNetwork): { count(node: string, reason: string): number } {
  const counts = new Map<string, number>();
  network.onEvent((node, event) => {
    if (event.type === 'dropped') counts.set(`${node}|${event.reason}`, (counts.get(`${node}|${event.reason}`) ?? 0) + 1);
  });
  return { count: (node, reason) => counts.get(`${node}|${reason}`) ?? 0 };
}

/** What `node` sends, by type, from now on. */
function sentBy(network: SimNetwork, node: string): Map<MessageType, number> {
  const sent = new Map<MessageType, number>();
  network.onWire((packet) => {
    if (packet.from === node) sent.set(packet.packet.message.type, (sent.get(packet.packet.message.type) ?? 0) + 1);
  });
  return sent;
}

describe('replays to a restarted agent (captured before its restart)', () => {
  test('a departed member is not re-registered by its replayed join and heartbeats; live members re-validate transparently', () => {
    // n1 is the only node that may lead, so it is super peer again after its restart.
    const { network, names, invariant } = smallCluster(5, { never: [2, 3, 4, 5], expect: 3 });
    const wire = recorder(network);
    const dropped = drops(network);
    network.runFor(10_000);
    expect(leaderOf(network, names)).toBe('n1');
    network.leave('n5');
    network.runFor(1_000);
    expect(network.core('n1')!.subgrid.registry.get('n5')).toBeUndefined();

    network.crash('n1');
    const captured = wire.to('n1');
    network.runFor(500);
    network.restart('n1');
    const restartedAt = network.now;
    network.runFor(3_000);
    const core = network.core('n1')!;
    expect(core.subgrid.isLeader()).toBe(true);
    // Legitimate peers: registered again with no help, in well under the 3 s rejoin budget.
    for (const name of ['n2', 'n3', 'n4']) expect(core.subgrid.registry.get(name)?.liveness).toBe('alive');
    const legitUnvalidated = dropped.count('n1', 'unvalidated');

    const joins = captured.filter((packet) => packet.packet.message.type === 'join' && packet.packet.message.from === 'n5');
    const heartbeats = captured.filter((packet) => packet.packet.message.type === 'hb' && packet.packet.message.from === 'n5');
    expect(joins.length).toBeGreaterThan(0);
    expect(heartbeats.length).toBeGreaterThan(5);
    const stateChanging = captured.filter((packet) => !isUnchallenged(packet.packet.message));
    const replayedBefore = dropped.count('n1', 'replayed');
    for (const packet of captured) network.inject('n1', packet.from, packet.packet);
    network.runFor(2_000);

    expect(core.subgrid.registry.get('n5')).toBeUndefined();
    for (const name of ['n2', 'n3', 'n4']) expect(core.subgrid.registry.get(name)?.liveness).toBe('alive');
    // Every state-changing replay was dropped: from n5 (an epoch this run never saw) as unvalidated,
    // from the live members as unvalidated or, when far behind their current sequence, replayed.
    const unvalidated = dropped.count('n1', 'unvalidated') - legitUnvalidated;
    const replayed = dropped.count('n1', 'replayed') - replayedBefore;
    expect(unvalidated + replayed).toBeGreaterThanOrEqual(stateChanging.length);
    expect(unvalidated + replayed).toBeLessThanOrEqual(captured.length);
    expect(unvalidated).toBeGreaterThanOrEqual(joins.length + heartbeats.length);
    expect(invariant.violations).toEqual([]);

    // The control: the same captured join, fed past the guard, would have registered n5 again.
    core.step(joins[0]!.packet.message, 'n5');
    expect(core.subgrid.registry.get('n5')?.liveness).toBe('alive');
    expect(network.now - restartedAt).toBeGreaterThan(0);
  });

  test('replayed votes, pre-votes, syncs (registry copies) and announces to a restarted voter change nothing', () => {
    const { network, names, invariant } = smallCluster(5, { seed: 3 });
    const wire = recorder(network);
    const dropped = drops(network);
    network.runFor(8_000);
    const first = leaderOf(network, names)!;
    // An election, so that votes and pre-votes are on the wire too.
    network.crash(first);
    network.runFor(4_000);
    network.restart(first);
    network.runFor(4_000);
    const leader = leaderOf(network, names)!;
    expect(leader).not.toBe(first);
    const victim = names.find((name) => name !== leader && wire.to(name).some((packet) => packet.packet.message.type === 'vote'))!;
    expect(victim).toBeDefined();

    network.crash(victim);
    const captured = wire.to(victim);
    const types = new Set(captured.map((packet) => packet.packet.message.type));
    for (const type of ['vote', 'preVote', 'sync', 'hbAck', 'announce'] as const) expect(types).toContain(type);
    expect(captured.some((packet) => packet.packet.message.type === 'sync' && packet.packet.message.registry !== undefined)).toBe(true);
    network.restart(victim);
    network.runFor(3_000);
    const core = network.core(victim)!;
    // Re-validated transparently: it follows the super peer again, which lists its new incarnation alive.
    expect(core.subgrid.leaderName).toBe(leader);
    expect(network.core(leader)!.subgrid.registry.get(victim)).toMatchObject({ liveness: 'alive', incarnation: 2 });

    // Half-way between two ticks: the 5 ms watched below then hold no genuine sync (whose syncAck is no answer to a replay).
    network.runFor(network.tickMs / 2);
    const before = { term: core.subgrid.term, persistent: JSON.stringify(core.persistentState()), registry: JSON.stringify(core.subgrid.registry.list()) };
    const sent = sentBy(network, victim);
    const stepped = jest.spyOn(core, 'step');
    const unvalidatedBefore = dropped.count(victim, 'unvalidated') + dropped.count(victim, 'replayed');
    const stateChanging = captured.filter((packet) => !isUnchallenged(packet.packet.message));
    // Replay everything at once, before the next sync can repair anything.
    for (const packet of captured) network.inject(victim, packet.from, packet.packet);
    network.runFor(5);
    // Every state-changing replay is dropped (and so are some discovery replays, as seen before).
    const droppedNow = dropped.count(victim, 'unvalidated') + dropped.count(victim, 'replayed') - unvalidatedBefore;
    expect(droppedNow).toBeGreaterThanOrEqual(stateChanging.length);
    expect(droppedNow).toBeLessThanOrEqual(captured.length);
    const replayedMessages = new Set(stateChanging.map((packet) => packet.packet.message));
    expect(stepped.mock.calls.filter(([message]) => replayedMessages.has(message))).toEqual([]);
    stepped.mockRestore();
    expect(JSON.stringify(core.persistentState())).toBe(before.persistent);
    expect(core.subgrid.term).toBe(before.term);
    expect(JSON.stringify(core.subgrid.registry.list())).toBe(before.registry);
    // No vote, pre-vote grant or sync acknowledgement left in answer to a replay: only challenges.
    for (const type of ['voteResp', 'preVoteResp', 'syncAck', 'join'] as const) expect(sent.get(type) ?? 0).toBe(0);
    expect(sent.get('challenge') ?? 0).toBeGreaterThan(0);
    network.runFor(3_000);
    expect(core.subgrid.leaderName).toBe(leader);
    expect(invariant.violations).toEqual([]);
  });

  test('a replay to an agent that did not restart is dropped as replayed', () => {
    const { network, names } = smallCluster(4, { seed: 5 });
    const wire = recorder(network);
    const dropped = drops(network);
    network.runFor(6_000);
    const leader = leaderOf(network, names)!;
    const captured = wire.to(leader).slice(-50);
    for (const packet of captured) network.inject(leader, packet.from, packet.packet);
    network.runFor(5);
    expect(dropped.count(leader, 'replayed')).toBe(captured.length);
  });

  test('no challenge at all through a cold start, steady state, a failover and a restart: nonces travel with discovery', () => {
    const { network, names } = smallCluster(8, { seed: 9 });
    const challenges: string[] = [];
    let restartedAt = Number.POSITIVE_INFINITY;
    network.onWire((packet, time) => {
      // A packet sent during the restarted node's very first tick can cross its first discover: that
      // one challenge is the design (one extra round trip), not a nonce that failed to travel.
      if (packet.packet.message.type === 'challenge' && time > restartedAt + 2 * network.tickMs) challenges.push(`${packet.from}>${packet.to}`);
    });
    network.runFor(30_000);
    const leader = leaderOf(network, names)!;
    network.crash(leader);
    network.runFor(5_000);
    restartedAt = network.now;
    network.restart(leader);
    network.runFor(5_000);
    // A restarted node's first discovers (multicast, and direct to the voters it knows) carry its
    // nonce, and the answers carry the others': every later packet echoes the right nonce.
    expect(challenges).toEqual([]);
  });
});

describe('challenge and resend', () => {
  const vote = (from: string, to: string): Message => ({ type: 'vote', tier: 'subgrid', group: 's', from, to, term: 4, viewTerm: 3, viewVersion: 2, bootstrap: false, transfer: false, score: 50 });

  test('an unvalidated vote is challenged; the sender resends it once, echoing the new nonce; the resend is accepted', () => {
    const a = new PacketGuard({ self: 'a', epoch: 10, nonce: 111 });
    const b = new PacketGuard({ self: 'b', epoch: 20, nonce: 222 });
    // a has never heard from this run of b: echo 0.
    const first = a.stamp({ dest: { kind: 'node', name: 'b' }, message: vote('a', 'b') });
    expect(first.header).toMatchObject({ epoch: 10, nonce: 111, echo: 0 });
    const packet = { header: first.header, message: first.message };
    expect(b.inspect(packet)).toEqual({ ok: false, reason: 'unvalidated' });
    const challenge = b.challenge(packet, 'addr-a')!;
    expect(challenge.message).toMatchObject({ type: 'challenge', to: 'a', forEpoch: 10, forSeq: first.header.seq });
    const stamped = b.stamp(challenge);
    expect(stamped.header.echo).toBe(111);
    const challengePacket = { header: stamped.header, message: stamped.message };
    expect(a.inspect(challengePacket)).toEqual({ ok: true, validated: true });
    const resend = a.answerChallenge(stamped.message as Extract<Message, { type: 'challenge' }>, 'addr-b')!;
    expect(resend).toEqual({ dest: { kind: 'node', name: 'b', addr: 'addr-b' }, message: first.message });
    // Only once, and never for a replayed challenge.
    expect(a.answerChallenge(stamped.message as Extract<Message, { type: 'challenge' }>, 'addr-b')).toBeNull();
    expect(a.inspect(challengePacket)).toEqual({ ok: false, reason: 'replayed' });
    const second = a.stamp(resend);
    expect(second.header.echo).toBe(222);
    expect(b.inspect({ header: second.header, message: second.message })).toEqual({ ok: true, validated: true });
    // The original packet, replayed again, is still refused.
    expect(b.inspect(packet)).toEqual({ ok: false, reason: 'replayed' });
  });

  test('the sequence running out moves the sender to the next epoch (to be put on disk first), and its peers keep taking its packets', () => {
    const a = new PacketGuard({ self: 'a', epoch: 10, nonce: 111, seq: 0xfffffffe });
    const b = new PacketGuard({ self: 'b', epoch: 20, nonce: 222 });
    // b has heard from this run of a, so a's packets echo b's nonce.
    expect(a.inspect({ header: { epoch: 20, seq: 1, nonce: 222, echo: 0 }, message: { ...vote('b', 'a'), type: 'discover' } as Message })).toMatchObject({ ok: true });
    const headers = [0, 1, 2].map(() => a.stamp({ dest: { kind: 'node', name: 'b' }, message: vote('a', 'b') }).header);
    expect(headers.map((h) => [h.epoch, h.seq])).toEqual([
      [10, 0xffffffff],
      [11, 1],
      [11, 2],
    ]);
    expect(a.takeEpochToPersist()).toBe(11);
    expect(a.takeEpochToPersist()).toBeNull();
    for (const header of headers) expect(b.inspect({ header, message: vote('a', 'b') })).toEqual({ ok: true, validated: true });
    // The old epoch's packet, replayed, is refused; and never resent on a challenge.
    // (It is of an epoch below a's newest, which b names in its challenge: epoch-behind.test.ts.)
    expect(b.inspect({ header: headers[0]!, message: vote('a', 'b') })).toEqual({ ok: false, reason: 'replayed', staleEpoch: 11 });
    const challenge: Extract<Message, { type: 'challenge' }> = { type: 'challenge', tier: 'subgrid', group: 's', from: 'b', to: 'a', term: 0, forEpoch: 10, forSeq: 0xffffffff };
    expect(a.answerChallenge(challenge, 'addr-b')).toBeNull();
    // Nor does naming a's own newest epoch move a: the challenge is of a packet of another epoch.
    expect(a.answerChallenge({ ...challenge, aboveEpoch: 11 }, 'addr-b')).toBeNull();
    expect(a.takeEpochToPersist()).toBeNull();
  });

  test('no resend for a packet of an older run, an unknown or expired sequence, or one that already echoed the nonce', () => {
    const a = new PacketGuard({ self: 'a', epoch: 10, nonce: 111, resendTicks: 3 });
    const challengeFrom = (seq: number, epoch = 10): Extract<Message, { type: 'challenge' }> => ({ type: 'challenge', tier: 'subgrid', group: 's', from: 'b', to: 'a', term: 0, forEpoch: epoch, forSeq: seq });
    const out = a.stamp({ dest: { kind: 'node', name: 'b' }, message: vote('a', 'b') });
    expect(a.inspect({ header: { epoch: 20, seq: 1, nonce: 222, echo: 111 }, message: challengeFrom(out.header.seq) })).toMatchObject({ ok: true });
    expect(a.answerChallenge(challengeFrom(out.header.seq, 9), undefined)).toBeNull();
    expect(a.answerChallenge(challengeFrom(out.header.seq + 5), undefined)).toBeNull();
    for (let tick = 0; tick < 4; tick++) a.tick();
    expect(a.answerChallenge(challengeFrom(out.header.seq), undefined)).toBeNull();
    // Now a knows b's nonce: a packet that echoed it is never resent on a challenge.
    const validated = a.stamp({ dest: { kind: 'node', name: 'b' }, message: vote('a', 'b') });
    expect(validated.header.echo).toBe(222);
    expect(a.answerChallenge(challengeFrom(validated.header.seq), undefined)).toBeNull();
  });

  test('challenges to one sender are rate-limited per tick; unchallenged types pass without an echo; own packets reflected back are dropped', () => {
    const b = new PacketGuard({ self: 'b', epoch: 20, nonce: 222, challengesPerTick: 2 });
    const sent = [1, 2, 3].map((seq) => ({ header: { epoch: 10, seq, nonce: 111, echo: 0 }, message: vote('a', 'b') }));
    expect(sent.map((packet) => b.challenge(packet, undefined) !== null)).toEqual([true, true, false]);
    b.tick();
    expect(b.challenge(sent[2]!, undefined)).not.toBeNull();
    const discover: Message = { type: 'discover', tier: 'subgrid', group: 's', from: 'a', term: 0, fresh: false, eligible: true, score: 1 };
    expect(b.inspect({ header: { epoch: 10, seq: 9, nonce: 111, echo: 0 }, message: discover })).toEqual({ ok: true, validated: false });
    expect(b.inspect({ header: { epoch: 20, seq: 9, nonce: 222, echo: 0 }, message: { ...discover, from: 'b' } })).toEqual({ ok: false, reason: 'reflected' });
  });
});

test('a restarted mirror that stands before it heard from the other voters pays one challenge round trip', () => {
  /** From the winner's pre-vote to its win (the election timeout before it is random, and the same either way). */
  const campaign = (restartMirror: boolean): { ms: number; challenges: number; leader: string } => {
    const { network, names, invariant } = smallCluster(5, { seed: 11, cores: [64, 32, 8, 8, 8] });
    let challenges = 0;
    network.onWire((packet) => {
      if (packet.packet.message.type === 'challenge') challenges++;
    });
    const started = new Map<string, number>();
    let won: { node: string; ms: number } | null = null;
    network.onEvent((node, event, time) => {
      if (time < 14_000) return;
      if (event.type === 'electionStarted' && event.tier === 'subgrid' && event.phase === 'preVote') started.set(node, time);
      if (event.type === 'electionWon' && event.tier === 'subgrid' && won === null) won = { node, ms: time - started.get(node)! };
    });
    network.runFor(10_000);
    expect(leaderOf(network, names)).toBe('n1');
    if (restartMirror) {
      // n2 restarts while cut off from the other mirrors: it finds the super peer, but neither it
      // nor they learn each other's nonce before the election.
      for (const other of ['n3', 'n4', 'n5']) network.cut('n2', other);
      network.crash('n2');
      network.restart('n2');
    }
    network.runFor(4_000);
    network.heal();
    network.crash('n1');
    network.runFor(5_000);
    expect(invariant.violations).toEqual([]);
    expect(won).not.toBeNull();
    const result = won as unknown as { node: string; ms: number };
    return { ms: result.ms, challenges, leader: result.node };
  };
  const plain = campaign(false);
  const restarted = campaign(true);
  console.log(`election campaign (pre-vote to win) after the super peer crash: ${plain.ms.toFixed(1)} ms; with the standing mirror restarted before: ${restarted.ms.toFixed(1)} ms, ${restarted.challenges} challenges`);
  expect(plain.challenges).toBe(0);
  expect(plain.leader).toBe('n2');
  expect(restarted.leader).toBe('n2');
  expect(restarted.challenges).toBeGreaterThan(0);
  // One LAN round trip (0.4 to 4 ms here), not an election timeout.
  expect(restarted.ms - plain.ms).toBeLessThan(10);
});
