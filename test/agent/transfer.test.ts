import { SimNetwork } from '../../src/agent/sim/network.js';
import { SingleLeaderPerTerm } from '../../src/agent/sim/invariants.js';
import { buildGrid } from '../../src/agent/sim/topology.js';
import { leaderOf, settledRegion, smallCluster } from './sim-helpers.js';

/** The region peer among the simulated nodes, if any. */
const regionPeerOf = (network: SimNetwork): string | undefined => network.names().find((name) => network.core(name)?.region.isLeader());

/** One region of 4 sub-grids of 3 nodes (4 region voter slots), settled; `old` is its region peer. */
function fourSubgridRegion(seed: number) {
  const { network, invariant, regionPeer } = settledRegion(seed, { subgrids: 4, nodesPerSubgrid: 3 });
  return { network, invariant, old: regionPeer };
}

/**
 * Every 100 ms, as the lab polls /status, half-way between two ticks (a sample taken at the very
 * instant of a tick would see the messages of that tick still in flight): is some node serving,
 * and does every node name a super peer?
 */
function sampleLeaderless(network: SimNetwork, names: string[], ms: number): { leaderless: number; unnamed: number; longest: number } {
  let leaderless = 0;
  let unnamed = 0;
  let run = 0;
  let longest = 0;
  network.runFor(network.tickMs / 2);
  for (let t = 0; t < ms; t += network.tickMs) {
    network.runFor(network.tickMs);
    const none = leaderOf(network, names) === undefined;
    if (none) leaderless++;
    run = none ? run + 1 : 0;
    longest = Math.max(longest, run);
    if (names.some((name) => network.isUp(name) && network.core(name)!.status().superPeer === null)) unnamed++;
  }
  return { leaderless, unnamed, longest };
}

/**
 * Issue 14, defect 2: a handover with no fault failed on the lab. The target stood in the next
 * term, one of its vote requests was dropped (a challenge), it never won, and the old super peer
 * took the role back a term later, leaving the sub-grid without a super peer for 1.5 s. A transfer
 * must complete, or be abandoned with the old leader serving throughout.
 */
describe('leadership transfer under message loss (simulated network)', () => {
  test('the target cut off from the other voters during the transfer: abandoned, and the old super peer serves throughout', () => {
    const gaps: number[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      const { network, names, invariant } = smallCluster(5, { seed, cores: [16, 8, 8, 8, 8] });
      network.runUntil(8_000);
      const old = leaderOf(network, names)!;
      const target = network.core(old)!.subgrid.handover('rebalance');
      expect(target).not.toBeNull();
      const oldTerm = network.core(old)!.subgrid.term;
      // How long the old super peer is not leader while it takes the role back (a pre-vote and a vote: two LAN round trips).
      let abandonedAt: number | null = null;
      network.onEvent((node, event, time) => {
        if (node !== old || event.type === 'dropped' || !('tier' in event) || event.tier !== 'subgrid') return;
        if (event.type === 'steppedDown' && event.reason === 'transfer abandoned') abandonedAt = time;
        if (event.type === 'electionWon' && abandonedAt !== null) {
          gaps.push(time - abandonedAt);
          abandonedAt = null;
        }
      });
      // Its vote requests reach no other mirror for 3 s, longer than the transfer may take: it cannot win.
      for (const name of names) if (name !== old && name !== target) network.cut(target!, name);
      const during = sampleLeaderless(network, names, 3_000);
      network.heal();
      const after = sampleLeaderless(network, names, 5_000);
      expect({ seed, ...during }).toEqual({ seed, leaderless: 0, unnamed: 0, longest: 0 });
      expect({ seed, ...after }).toEqual({ seed, leaderless: 0, unnamed: 0, longest: 0 });
      // Abandoned: the old super peer took the role back in a later term (the target's term is out there).
      const leader = leaderOf(network, names)!;
      expect({ seed, leader }).toEqual({ seed, leader: old });
      expect(network.core(old)!.subgrid.term).toBeGreaterThan(oldTerm + 1);
      for (const name of names) expect(network.core(name)!.status().superPeer).toBe(leader);
      expect(invariant.violations).toEqual([]);
    }
    expect(gaps).toHaveLength(20);
    console.log(`abandoned transfer: the old super peer was not leader for ${Math.min(...gaps).toFixed(1)} to ${Math.max(...gaps).toFixed(1)} ms while it took the role back`);
    expect(Math.max(...gaps)).toBeLessThan(20);
  });

  test('heavy loss (50 %) during the transfer: it completes or is abandoned, and once the loss stops there is never a moment without a super peer (50 seeds)', () => {
    let completed = 0;
    let abandoned = 0;
    let worstGap = 0;
    let gapSamples = 0;
    for (let seed = 1; seed <= 50; seed++) {
      const { network, names, invariant } = smallCluster(5, { seed, cores: [16, 8, 8, 8, 8] });
      network.runUntil(8_000);
      const old = leaderOf(network, names)!;
      const target = network.core(old)!.subgrid.handover('rebalance')!;
      network.setLoss(0.5);
      const during = sampleLeaderless(network, names, 500);
      network.setLoss(0);
      const after = sampleLeaderless(network, names, 5_000);
      // The old super peer steps down only to give the last vote its successor needs; while half the
      // packets are lost, that answer (asked again every tick) can take a few ticks to arrive. Once
      // the loss stops there is never a moment without a super peer: before the fix the same runs
      // had up to 15 samples (1.5 s) in a row without one, after the loss had stopped.
      worstGap = Math.max(worstGap, during.longest, after.longest);
      gapSamples += during.leaderless + after.leaderless;
      expect({ seed, ...after }).toEqual({ seed, leaderless: 0, unnamed: 0, longest: 0 });
      const leader = leaderOf(network, names);
      if (leader === target) completed++;
      else if (leader === old) abandoned++;
      expect([old, target]).toContain(leader);
      expect(invariant.violations).toEqual([]);
    }
    console.log(`transfer under 50 % loss for 0.5 s: ${completed} completed, ${abandoned} abandoned, of 50; ${gapSamples} samples without a serving super peer in all, at most ${worstGap} in a row`);
    expect(completed + abandoned).toBe(50);
  });

  test('the lab case: the successor knows no nonce of the other mirrors (they restarted), so each vote request is challenged and resent: no moment without a super peer (20 seeds)', () => {
    let challenges = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const { network, names, invariant } = smallCluster(5, { seed, cores: [16, 8, 8, 8, 8] });
      network.runUntil(8_000);
      const old = leaderOf(network, names)!;
      const successor = names.filter((name) => name !== old).sort((a, b) => network.core(b)!.status().score - network.core(a)!.status().score)[0]!;
      for (const name of names) {
        if (name === old || name === successor) continue;
        network.crash(name);
        network.restart(name);
      }
      network.runFor(3_000);
      network.onWire((packet) => {
        if (packet.packet.message.type === 'challenge' && packet.to !== old) challenges++;
      });
      expect(network.core(old)!.subgrid.handover('rebalance')).not.toBeNull();
      const samples = sampleLeaderless(network, names, 3_000);
      expect({ seed, ...samples }).toEqual({ seed, leaderless: 0, unnamed: 0, longest: 0 });
      expect(leaderOf(network, names)).not.toBe(old);
      expect(invariant.violations).toEqual([]);
    }
    console.log(`lab case: ${challenges} challenges in 20 transfers, every transfer completed with no sample without a super peer`);
    expect(challenges).toBeGreaterThan(0);
  });
});

/**
 * The region tier's rebalance (a far better machine became super peer of another sub-grid) is a
 * leadership transfer too, and must also complete or be abandoned with the old region peer serving
 * throughout. With Raft's order the region peer stepped down as soon as the target asked for its
 * vote, so a target that could not reach the other voters left the region without a region peer.
 */
describe('region-tier rebalance transfer (simulated network)', () => {

  test('the target cut off from the other region voters: abandoned, and the old region peer takes the role back within one poll (10 seeds)', () => {
    let total = 0;
    for (let seed = 1; seed <= 10; seed++) {
      // 4 sub-grids: 4 region voter slots, so the target and the region peer alone are no quorum.
      const { network, invariant, old } = fourSubgridRegion(seed);
      expect(old).toBeDefined();
      const target = network.core(old)!.region.handover('rebalance');
      expect(target).not.toBeNull();
      // The target's sub-grid stays whole; it reaches no node of the other two sub-grids for 3 s.
      const targetSubgrid = network.core(target!)!.status().subgrid;
      const oldSubgrid = network.core(old)!.status().subgrid;
      for (const name of network.names()) {
        const subgrid = network.core(name)!.status().subgrid;
        if (subgrid !== targetSubgrid && subgrid !== oldSubgrid) network.cut(target!, name);
      }
      let leaderless = 0;
      network.runFor(network.tickMs / 2);
      for (let t = 0; t < 3_000; t += network.tickMs) {
        network.runFor(network.tickMs);
        if (regionPeerOf(network) === undefined) leaderless++;
      }
      network.heal();
      for (let t = 0; t < 3_000; t += network.tickMs) {
        network.runFor(network.tickMs);
        if (regionPeerOf(network) === undefined) leaderless++;
      }
      // Abandoned at the deadline: the target's term was seen (its own syncAck), so the region peer
      // steps down to that term and stands again at once; over the WAN, with the slot commits, that
      // takes one poll at most. With Raft's order the same runs had 11 samples (1.1 s) without one.
      total += leaderless;
      expect({ seed, leaderless: Math.min(leaderless, 1), regionPeer: regionPeerOf(network) }).toEqual({ seed, leaderless, regionPeer: old });
      expect(invariant.violations).toEqual([]);
    }
    console.log(`region rebalance whose target cannot reach the other voters: ${total} samples without a region peer over 10 seeds (each run 6 s, polled every 100 ms)`);
  });

  test('an undisturbed region rebalance completes: the target is region peer, with no moment without one (10 seeds)', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const { network, invariant, old } = fourSubgridRegion(seed);
      const target = network.core(old)!.region.handover('rebalance');
      expect(target).not.toBeNull();
      let leaderless = 0;
      network.runFor(network.tickMs / 2);
      for (let t = 0; t < 3_000; t += network.tickMs) {
        network.runFor(network.tickMs);
        if (regionPeerOf(network) === undefined) leaderless++;
      }
      expect({ seed, leaderless, regionPeer: regionPeerOf(network) }).toEqual({ seed, leaderless: 0, regionPeer: target });
      expect(invariant.violations).toEqual([]);
    }
  });
});

/**
 * A region peer's SIGTERM hands over both roles at once. Its region successor's vote request makes
 * it write the slot's vote into the sub-grid view, often after its sub-grid target stood: the
 * target then asked for the last vote with an older view than the outgoing leader's. That leader
 * stepped down and refused, the target asked again with the same view, and the sub-grid was
 * without a super peer until an election timeout: a CI run's rolling upgrade on the lab saw 0.63 s.
 * Here the sub-grid's LAN is slower than the region's messages, which makes that order common.
 */
describe('a region peer hands over both roles at once (simulated network)', () => {
  test('the outgoing super peer wrote a newer sub-grid view after its target stood: it sends the target the view, and the sub-grid is never without a super peer (60 seeds)', () => {
    let raced = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const grid = buildGrid({ regions: 1, subgridsPerRegion: 2, nodesPerSubgrid: 3, seed, neverFraction: 0 });
      const network = new SimNetwork(grid.specs, { seed, dns: grid.dns, lanLatencyMs: [2, 6], wanLatencyMs: [0.1, 0.5], tickPhases: true });
      const invariant = new SingleLeaderPerTerm();
      network.onStep(invariant.observer);
      network.startAll();
      network.runUntil(15_000);
      const old = regionPeerOf(network)!;
      const members = network.subgridMembers(network.core(old)!.status().subgrid);
      const asked = network.core(old)!.handover();
      expect(asked.subgrid).not.toBeNull();
      expect(asked.region).not.toBeNull();
      network.onWire(({ from, to, packet }) => {
        // The race itself: the target's vote request reaches its outgoing leader, still leader, with an older view than that leader's.
        const message = packet.message;
        if (from !== asked.subgrid || to !== old || message.type !== 'vote' || message.tier !== 'subgrid' || !network.core(old)!.subgrid.isLeader()) return;
        const view = network.core(old)!.subgrid.view!;
        if (message.viewTerm < view.term || (message.viewTerm === view.term && message.viewVersion < view.version)) raced++;
      });
      const { leaderless } = sampleLeaderless(network, members, 3_000);
      // Before the fix, 26 of these 60 seeds had 4 to 7 samples in a row (0.4 to 0.7 s) without one.
      expect({ seed, leaderless, superPeer: members.find((name) => network.core(name)!.subgrid.isLeader()) }).toEqual({ seed, leaderless: 0, superPeer: asked.subgrid });
      expect(invariant.violations).toEqual([]);
    }
    console.log(`double handover: the target asked its outgoing leader with an older view ${raced} times in 60 runs`);
    expect(raced).toBeGreaterThan(10);
  });
});

