import { MAX_TRACKED_PEERS } from '../../src/agent/core/bounded-map.js';
import { MAX_LEARNED_REGIONS, MAX_PROBES_PER_ROUND } from '../../src/agent/core/directory.js';
import { PacketGuard } from '../../src/agent/core/guard.js';
import { ReplayWindow } from '../../src/agent/core/replay-window.js';
import type { Message, Packet } from '../../src/agent/core/types.js';
import { RegionResolvers } from '../../src/agent/runtime/region-resolvers.js';
import { regionPeer, type Summary } from './region-peer-fixture.js';
import { leaderOf, smallCluster } from './sim-helpers.js';

/**
 * A node holding the grid key (compromised, or buggy) can name a new sender, slot or region in
 * every packet: what another node keeps per name must stay bounded, honest peers must keep
 * working while it floods, and forgetting a sender must not let its old packets back in.
 */

const vote = (from: string, to: string): Message => ({ type: 'vote', tier: 'subgrid', group: 's', from, to, term: 5, lastTerm: 4, viewVersion: 1, lastEntryTerm: 4 } as unknown as Message);
const discover = (from: string): Message => ({ type: 'discover', tier: 'subgrid', group: 's', from, term: 0, fresh: true, eligible: true, score: 1, direct: true });

/** `count` packets, each from a sender never heard of before, that echo the receiver's current nonce. */
function flood(receiver: PacketGuard, count: number, prefix = 'flood'): void {
  for (let i = 0; i < count; i++) {
    receiver.inspect({ header: { epoch: 1, seq: 1, nonce: 1 + i, echo: receiver.nonce }, message: discover(`${prefix}-${i}`) });
  }
}

describe('the packet guard keeps a bounded number of senders, and a forgotten sender is challenged again', () => {
  test('the replay window forgets the least recently heard sixteenth when full, and counts a generation each time', () => {
    const window = new ReplayWindow(256, 32);
    for (let i = 0; i < 32; i++) expect(window.accept(`s${i}`, 1, 1)).toBe(true);
    // s0 and s1 heard again: the least recently heard are now s2 and s3.
    expect(window.accept('s0', 1, 2)).toBe(true);
    expect(window.accept('s1', 1, 2)).toBe(true);
    expect(window.generation).toBe(0);
    expect(window.accept('new', 1, 1)).toBe(true);
    expect(window.trackedSenders).toBe(31);
    expect(window.generation).toBe(1);
    expect(window.since('new')).toBe(1);
    expect(window.since('s0')).toBe(0);
    expect(window.since('s2')).toBeNull();
    // s2's old packet passes the window again (as after a restart): the guard's echo check is what refuses it.
    expect(window.accept('s2', 1, 1)).toBe(true);
    expect(window.since('s2')).toBe(1);
  });

  test('a flood of new senders keeps at most the cap of replay windows and nonces (the default cap, and a lowered one)', () => {
    const guard = new PacketGuard({ self: 'b', epoch: 20, nonce: 222 });
    flood(guard, MAX_TRACKED_PEERS * 2 + 100);
    expect(guard.trackedPeers).toBeLessThanOrEqual(MAX_TRACKED_PEERS);
    expect(guard.trackedSenders).toBeLessThanOrEqual(MAX_TRACKED_PEERS);

    const small = new PacketGuard({ self: 'b', epoch: 20, nonce: 222, maxSenders: 64 });
    flood(small, 1000);
    expect(small.trackedPeers).toBeLessThanOrEqual(64);
    expect(small.trackedSenders).toBeLessThanOrEqual(64);
  });

  test("a forgotten sender's old packet replayed is not acted on; its next packets are, after one challenge; a peer still heard is not disturbed", () => {
    const a = new PacketGuard({ self: 'a', epoch: 10, nonce: 111 });
    const k = new PacketGuard({ self: 'k', epoch: 30, nonce: 333 });
    const b = new PacketGuard({ self: 'b', epoch: 20, nonce: 222, maxSenders: 64 });
    const deliver = (from: PacketGuard, to: PacketGuard, message: Message): Packet => {
      const out = from.stamp({ dest: { kind: 'node', name: message.to! }, message });
      return { header: out.header, message: out.message };
    };
    // a and k learn b's nonce; b validates their votes.
    const hello = deliver(b, a, { ...discover('b'), to: 'a' });
    expect(a.inspect(hello)).toMatchObject({ ok: true });
    expect(k.inspect(deliver(b, k, { ...discover('b'), to: 'k' }))).toMatchObject({ ok: true });
    const captured = deliver(a, b, vote('a', 'b'));
    expect(b.inspect(captured)).toEqual({ ok: true, validated: true });
    expect(b.inspect(deliver(k, b, vote('k', 'b')))).toEqual({ ok: true, validated: true });

    // The flood, with k still talking among it: a is forgotten, k is not.
    for (let round = 0; round < 20; round++) {
      flood(b, 50, `flood-${round}`);
      expect(b.inspect(deliver(k, b, vote('k', 'b')))).toEqual({ ok: true, validated: true });
    }
    expect(b.trackedSenders).toBeLessThanOrEqual(64);

    // The replay of a's packet, made before a was forgotten: dropped (and challenged), never acted on.
    expect(b.inspect(captured)).toEqual({ ok: false, reason: 'unvalidated' });
    // So is a packet a sent before it was forgotten that arrives only now (late, or held back by an attacker).
    const held = deliver(a, b, vote('a', 'b'));
    flood(b, 200, 'more');
    expect(b.inspect(held)).toMatchObject({ ok: false });

    // a itself gets through after one challenge, as after a restart of b.
    const fresh = deliver(a, b, vote('a', 'b'));
    expect(b.inspect(fresh)).toEqual({ ok: false, reason: 'unvalidated' });
    const challenge = b.challenge(fresh, 'a:7946')!;
    const challengePacket = b.stamp(challenge);
    expect(a.inspect({ header: challengePacket.header, message: challengePacket.message })).toMatchObject({ ok: true });
    const resend = a.answerChallenge(challengePacket.message as Extract<Message, { type: 'challenge' }>, 'b:7946')!;
    expect(resend).not.toBeNull();
    expect(b.inspect(deliver(a, b, resend.message))).toEqual({ ok: true, validated: true });
    // And the captured packet still is not, once a is known again.
    expect(b.inspect(captured)).toMatchObject({ ok: false });
  });
});


const summary = (region: string, names: string[], probe: boolean): Summary => ({
  type: 'peerSummary', tier: 'region', group: region, from: `${region}-rp`, to: 'rp', term: 1, superPeers: [], nodes: 0, reply: false,
  regionName: `${region}.grid.internal`, regionNames: names.map((r) => ({ region: r, name: `${r}.grid.internal` })), ...(probe ? { probe: true } : {}),
});

describe('the region directory learns a bounded number of regions', () => {
  test('probes naming 64 new regions each keep the learned regions at the cap, the join list and a live region known, and a probe round bounded (the join list first)', () => {
    const { directory, sent } = regionPeer([], [{ region: 'configured', name: 'configured.grid.internal' }]);
    let made = 0;
    const probesPerTick: number[] = [];
    for (let packet = 0; packet < 300; packet++) {
      const names = Array.from({ length: 64 }, () => `made-${made++}`);
      directory.step(summary(`flood-${packet}`, names, true), '10.6.6.6');
      // An honest region pushes its summary every interval, among the flood.
      if (packet % 10 === 0) directory.step(summary('honest', [], false), '10.0.0.1');
      sent.length = 0;
      directory.tick();
      const probed = sent.filter((s) => s.dest.kind === 'peerRegion').map((s) => (s.dest as { region: string }).region);
      probesPerTick.push(probed.length);
      // The join list's region is probed in every round, however many made-up names wait.
      if (probed.length > 0) expect(probed).toContain('configured');
    }
    expect(made).toBeGreaterThan(MAX_LEARNED_REGIONS * 10);
    expect(directory.knownRegions().length).toBeLessThanOrEqual(MAX_LEARNED_REGIONS + 1);
    expect(directory.learnedRegions).toBeLessThanOrEqual(MAX_LEARNED_REGIONS);
    const known = directory.knownRegions().map((r) => r.region);
    expect(known).toContain('configured');
    expect(known).toContain('honest');
    expect(directory.list().map((entry) => entry.region)).toContain('honest');
    expect(Math.max(...probesPerTick)).toBeLessThanOrEqual(MAX_PROBES_PER_ROUND);
  });

  test("the daemon's resolvers of region names keep only the names the directory still knows, and the configured ones", () => {
    const { directory } = regionPeer([], [{ region: 'configured', name: 'configured.grid.internal' }]);
    const resolvers = new RegionResolvers(7946, () => ['configured.grid.internal', ...directory.knownRegions().flatMap((r) => (r.name !== undefined ? [r.name] : []))]);
    resolvers.add('configured.grid.internal', 7000);
    for (let packet = 0; packet < 40; packet++) {
      directory.step(summary(`flood-${packet}`, Array.from({ length: 64 }, (_, i) => `made-${packet}-${i}`), true), '10.6.6.6');
      // The daemon makes a resolver for every name the directory probes.
      for (const region of directory.knownRegions()) if (region.name !== undefined) resolvers.resolverFor(region.name);
    }
    expect(resolvers.size).toBeLessThanOrEqual(MAX_LEARNED_REGIONS + 2);
  });

  test('a redirect for a region this node does not know is not followed (nor remembered)', () => {
    const { directory, sent } = regionPeer([], []);
    for (let i = 0; i < 100; i++) {
      directory.step({ type: 'peerRedirect', tier: 'region', group: `nowhere-${i}`, from: 'x', to: 'rp', term: 0, leader: `l-${i}`, leaderAddr: '10.6.6.6:7946' }, '10.6.6.6');
    }
    expect(sent).toEqual([]);
  });
});

describe('a sub-grid under a flood of made-up senders', () => {
  test('keeps its per-sender maps at the cap, keeps its members, and elects again when its super peer dies during the flood', () => {
    const { network, names, invariant } = smallCluster(5, { seed: 7 });
    network.runFor(8_000);
    const first = leaderOf(network, names)!;
    expect(first).toBeDefined();
    const mirror = names.find((name) => name !== first)!;
    let made = 0;
    const floodFor = (ms: number, perStep: number): void => {
      for (let t = 0; t < ms; t += 100) {
        for (const target of names) {
          if (!network.isUp(target)) continue;
          for (let i = 0; i < perStep; i++, made++) {
            network.inject(target, `ghost-${made}`, { header: { epoch: 1, seq: 1, nonce: 1 + (made % 1000), echo: 0 }, message: discover(`ghost-${made}`) }, `10.66.${(made >> 8) & 255}.${made & 255}:7946`);
          }
        }
        network.runFor(100);
      }
    };
    floodFor(3_000, 400);
    expect(leaderOf(network, names)).toBe(first);
    for (const name of names) if (name !== first) expect(network.core(first)!.subgrid.registry.get(name)?.liveness).toBe('alive');
    network.crash(first);
    floodFor(3_000, 400);
    const second = leaderOf(network, names);
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    expect(made).toBeGreaterThan(MAX_TRACKED_PEERS * 3);
    for (const name of [second!, mirror]) {
      const core = network.core(name)!;
      expect(core.trackedSenders).toBeLessThanOrEqual(MAX_TRACKED_PEERS);
      for (const size of Object.values(core.subgrid.trackedPeers())) expect(size).toBeLessThanOrEqual(MAX_TRACKED_PEERS);
    }
    expect(invariant.violations).toEqual([]);
  });
});

describe('a leader and acknowledgements in made-up names', () => {
  test('keeps acknowledgements of its view\'s voters only, whatever names sign them', () => {
    const { network, names } = smallCluster(5, { seed: 11 });
    network.runFor(8_000);
    const leader = leaderOf(network, names)!;
    // The leader's nonce, as a key holder on the wire learns it: validated packets echo it.
    let nonce = 0;
    network.onWire((packet) => {
      if (packet.from === leader) nonce = packet.packet.header.nonce;
    });
    network.runFor(500);
    expect(nonce).not.toBe(0);
    const term = network.core(leader)!.subgrid.term;
    for (let i = 0; i < 2_000; i++) {
      const from = `ack-${i}`;
      network.inject(leader, from, { header: { epoch: 1, seq: 1, nonce: 1, echo: nonce }, message: { type: 'syncAck', tier: 'subgrid', group: 's', from, to: leader, term, viewTerm: term, viewVersion: 1 } as Message }, '10.66.0.1:7946');
    }
    network.runFor(500);
    expect(leaderOf(network, names)).toBe(leader);
    expect(network.core(leader)!.subgrid.trackedPeers()['syncAcks']).toBeLessThanOrEqual(names.length);
  });
});
