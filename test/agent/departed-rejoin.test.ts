import { SingleLeaderPerTerm } from '../../src/agent/sim/invariants.js';
import { SimNetwork, type SimNodeSpec } from '../../src/agent/sim/network.js';
import { buildGrid } from '../../src/agent/sim/topology.js';
import { addedNode } from './sim-helpers.js';
import { voterKey } from '../../src/agent/core/view.js';

/**
 * A node that left for good (`gridagent leave`) and signs in again under the same name (an aborted
 * decommission, a node re-added, a rename swap): only the leader that hears its join forgot the
 * departed name; the voters kept it, and one elected within their memory (10 min; 20 on the region
 * tier) dropped the node, alive, from its registry and its voters (group/departed.ts).
 */

const seeds = [1, 2, 3, 4];

function grid(seed: number, subgridsPerRegion: number, nodesPerSubgrid: number) {
  const built = buildGrid({ regions: 1, subgridsPerRegion, nodesPerSubgrid, seed, neverFraction: 0 });
  const network = new SimNetwork(built.specs, { seed, dns: built.dns });
  const invariant = new SingleLeaderPerTerm();
  network.onStep(invariant.observer);
  network.startAll();
  network.runFor(30_000);
  return { network, invariant };
}

/** A machine as gridops configures a node added later, alone in a new sub-grid (grow.test.ts). */
const addedAlone = (name: string, region: string, subgrid: string): SimNodeSpec => addedNode(name, region, subgrid, { mirrors: 2, electorate: [name] });

/** Three crashes and starts of `name`, 3 s apart: its incarnation (and packets' epoch) is 4 after them. */
function restartThrice(network: SimNetwork, name: string): void {
  for (let restart = 0; restart < 3; restart++) {
    network.crash(name);
    network.start(name);
    network.runFor(3_000);
  }
}

/** `gridagent leave` of a node that leads nothing: it says so, lingers while still a voter (at most 4 s), and exits. */
function leaveForGood(network: SimNetwork, name: string): void {
  const core = network.core(name)!;
  core.leave(true);
  const until = network.now + 4_000;
  do network.runFor(10);
  while (core.stillAVoter() && network.now < until);
  network.runFor(50);
  network.crash(name);
}

/** Every 10 ms for `ms`: what `check` says is wrong about the live leader (`leads` picks it), if anything. */
function watchLeader(network: SimNetwork, ms: number, leads: (name: string) => boolean, check: (name: string) => string | null): string[] {
  const seen: string[] = [];
  const until = network.now + ms;
  while (network.now < until) {
    network.runFor(10);
    const leader = network.names().find((name) => network.isUp(name) && leads(name));
    const wrong = leader === undefined ? null : check(leader);
    if (wrong !== null && seen.length < 5) seen.push(`${network.now}: ${wrong}`);
  }
  return seen;
}

describe('a node that left for good signs in again under the same name', () => {
  test('a sub-grid of 3 voters: a mirror leaves, starts again (a new incarnation), and is a voter again; its super peer crashes: the voter elected keeps it as a member and a voter', () => {
    for (const seed of seeds) {
      const { network, invariant } = grid(seed, 1, 3);
      const members = network.subgridMembers('r0-s0');
      const superPeer = members.find((name) => network.core(name)!.subgrid.isLeader())!;
      const returning = members.find((name) => name !== superPeer)!;
      leaveForGood(network, returning);
      network.runFor(3_000);
      network.start(returning);
      network.runFor(10_000);
      // The premise: back in the registry and among the voters (it was born with the group, so stable at once).
      const before = network.core(superPeer)!.subgrid;
      expect({ seed, leads: before.isLeader(), member: before.registry.get(returning)?.liveness, voter: before.view!.voters.some((peer) => peer.name === returning), joint: before.view!.oldVoters }).toEqual({ seed, leads: true, member: 'alive', voter: true, joint: undefined });
      network.crash(superPeer);
      const wrong = watchLeader(
        network,
        20_000,
        (name) => network.core(name)!.subgrid.isLeader(),
        (leader) => {
          const group = network.core(leader)!.subgrid;
          if (group.registry.get(returning) === undefined) return `${leader} has no ${returning} in its registry`;
          // The voters it drives towards (a joint view's new set) too.
          return group.view!.voters.some((peer) => peer.name === returning) ? null : `${leader}'s voters lack ${returning}`;
        },
      );
      const leader = members.find((name) => network.isUp(name) && network.core(name)!.subgrid.isLeader());
      expect({ seed, wrong, led: leader !== undefined && leader !== returning ? 'by the other voter' : leader }).toEqual({ seed, wrong: [], led: expect.any(String) });
      expect(invariant.violations).toEqual([]);
    }
  });

  test('a sub-grid of 4 voters: a mirror leaves, and is re-added with no state and a LOWER incarnation than the one that left (another host\'s clock); the super peer crashes: the voter elected takes it back as a member and a voter', () => {
    for (const seed of seeds) {
      const { network, invariant } = grid(seed, 1, 4);
      const members = network.subgridMembers('r0-s0');
      const returning = members.find((name) => !network.core(name)!.subgrid.isLeader())!;
      // Restarted a few times: it leaves as incarnation 4.
      restartThrice(network, returning);
      const superPeer = members.find((name) => network.core(name)!.subgrid.isLeader())!;
      expect({ seed, returningLeads: superPeer === returning }).toEqual({ seed, returningLeads: false });
      const others = members.filter((name) => name !== superPeer && name !== returning);
      leaveForGood(network, returning);
      // The other voters restart meanwhile: they learn the departure from the super peer's syncs, and
      // no longer hold the epoch the leaver used (the replay window drops a lower one of a sender it
      // heard; the super peer, which did, never hears the node re-added).
      for (const name of others) {
        network.crash(name);
        network.start(name);
        network.runFor(2_000);
      }
      expect({ seed, learned: others.map((name) => network.core(name)!.subgrid.departedNames().includes(returning)) }).toEqual({ seed, learned: others.map(() => true) });
      network.reinstall(returning, 2);
      network.runFor(2_000);
      // One of the others elects (the node re-added, which heard no leave, may not stand).
      network.loseWhere((from, _to, message) => from === returning && message.tier === 'subgrid' && (message.type === 'preVote' || message.type === 'vote'));
      network.crash(superPeer);
      network.runFor(20_000);
      network.loseWhere(null);
      const leader = others.find((name) => network.core(name)!.subgrid.isLeader());
      const group = leader === undefined ? undefined : network.core(leader)!.subgrid;
      expect({ seed, led: leader !== undefined, member: group?.registry.get(returning)?.liveness, voter: group?.view!.voters.some((peer) => peer.name === returning) }).toEqual({ seed, led: true, member: 'alive', voter: true });
      expect(invariant.violations).toEqual([]);
    }
  });

  test('a sub-grid of 4 voters: a mirror leaves and is re-added with no state and a LOWER epoch, while every peer that heard its old epoch stays up: the peers challenge its packets with the epoch they hold, it moves above it, and it is a member again', () => {
    for (const seed of seeds) {
      const { network, invariant } = grid(seed, 1, 4);
      const members = network.subgridMembers('r0-s0');
      const returning = members.find((name) => !network.core(name)!.subgrid.isLeader())!;
      // Restarted a few times: it leaves as incarnation 4, which every peer holds.
      restartThrice(network, returning);
      leaveForGood(network, returning);
      network.runFor(2_000);
      // Re-added on a host whose clock is behind: its first epoch is 2, below the 4 the peers hold.
      network.reinstall(returning, 2);
      network.runFor(20_000);
      const leader = members.find((name) => name !== returning && network.core(name)!.subgrid.isLeader());
      const group = leader === undefined ? undefined : network.core(leader)!.subgrid;
      expect({ seed, member: group?.registry.get(returning)?.liveness, leaderKnown: network.core(returning)!.status().superPeer === leader }).toEqual({ seed, member: 'alive', leaderKnown: true });
      expect(invariant.violations).toEqual([]);
    }
  });

  test('a region of 3 sub-grids of one node: a sub-grid\'s node leaves (its slot goes with it); the sub-grid is made again with a new node; the region peer crashes: the region peer elected keeps that sub-grid\'s slot', () => {
    for (const seed of seeds) {
      const { network, invariant } = grid(seed, 3, 1);
      const leaver = network.names().find((name) => !network.core(name)!.region.isLeader())!;
      const slot = network.core(leaver)!.status().subgrid;
      // Its sub-grid elects again (a restart): the region heard its slot at a term the sub-grid made
      // again (from term 1) stays below for a while.
      network.crash(leaver);
      network.start(leaver);
      network.runFor(10_000);
      expect({ seed, term: network.core(leaver)!.subgrid.term >= 2 }).toEqual({ seed, term: true });
      leaveForGood(network, leaver);
      network.runFor(3_000);
      // The sub-grid made again, on another machine: a super peer of another name holds its slot.
      const added = `${slot}-n09`;
      network.addNode(addedAlone(added, 'r0', slot));
      network.start(added);
      network.runFor(60_000);
      const slotsOf = (name: string) => network.core(name)!.region.view!.voters.map(voterKey);
      // The premise: the sub-grid signed in and holds a region voter slot once more (the leave may have moved the region peer).
      const regionPeer = network.names().find((name) => network.isUp(name) && network.core(name)!.region.isLeader())!;
      expect({ seed, addedLeads: regionPeer === added, slots: slotsOf(regionPeer).includes(slot) }).toEqual({ seed, addedLeads: false, slots: true });
      // The other one elects: the new node (which heard no leave) must not win.
      network.loseWhere((from, _to, message) => from === added && message.tier === 'region' && (message.type === 'preVote' || message.type === 'vote'));
      network.crash(regionPeer);
      const wrong = watchLeader(
        network,
        20_000,
        (name) => network.core(name)!.region.isLeader(),
        (leader) => (slotsOf(leader).includes(slot) ? null : `${leader}'s region voters lack ${slot}`),
      );
      network.loseWhere(null);
      const leader = network.names().find((name) => network.isUp(name) && network.core(name)!.region.isLeader());
      expect({ seed, wrong, leader: leader !== undefined && leader !== added }).toEqual({ seed, wrong: [], leader: true });
      // The slot's new holder is the one the region leader talks to, not the node gone: it gets the
      // region syncs and answers them.
      const traffic = { syncs: 0, acks: 0 };
      network.loseWhere((from, to, message) => {
        if (message.tier === 'region' && message.type === 'sync' && from === leader && to === added) traffic.syncs++;
        if (message.tier === 'region' && message.type === 'syncAck' && from === added && to === leader) traffic.acks++;
        return false;
      });
      network.runFor(5_000);
      network.loseWhere(null);
      expect({ seed, syncs: traffic.syncs > 0, acks: traffic.acks > 0 }).toEqual({ seed, syncs: true, acks: true });
      // The sub-grid made again starts from term 1, which its gone node led: not two leaders of one group.
      expect(invariant.violations.filter((violation) => !violation.message.startsWith(`subgrid ${slot} term 1:`))).toEqual([]);
    }
  });
});
