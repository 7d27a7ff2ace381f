import type { AgentCore } from '../../src/agent/core/agent.js';
import type { View } from '../../src/agent/core/types.js';
import { SingleLeaderPerTerm } from '../../src/agent/sim/invariants.js';
import { SimNetwork } from '../../src/agent/sim/network.js';
import { buildGrid } from '../../src/agent/sim/topology.js';
import { LEFT_TOO_EARLY } from '../../src/agent/runtime/left-too-early.js';

/**
 * Leaving for good (`gridagent leave`) on the simulated network. The leaving node lingers to
 * acknowledge the view that drops it, and must not sign in again meanwhile. A whole sub-grid
 * decommissioned from a region of two: the last node of the sub-grid gives up the sub-grid's region
 * voter slot, and in a region view of two slots that removal needs the leaving node's own
 * acknowledgement. The remaining sub-grid's super peer must be region peer afterwards, whether the
 * nodes leave one by one or all at once (gridops' removal batch).
 */

const HANDOVER_DEADLINE_MS = 4_000;

/**
 * `gridagent leave` as the daemon runs it (runtime/daemon.ts): a super peer hands over and waits for
 * the successor (at most 4 s); the node says it leaves for good, keeps answering while stillAVoter()
 * (at most 4 s), then exits. A generator, one step per 10 ms of simulated time, so several can run at once.
 */
function* leaveForGood(network: SimNetwork, name: string, options: { loseFirstLeave?: boolean } = {}): Generator<void, void> {
  const core = network.core(name)!;
  const asked = core.handover();
  const successorWon = () => core.subgrid.leaderName !== null && core.subgrid.leaderName !== name;
  let until = network.now + HANDOVER_DEADLINE_MS;
  while ((asked.subgrid !== null || asked.region !== null) && network.now < until && !successorWon()) yield;
  core.leave(true);
  // The simulation sends a node's packets when it drains them after its next step: drained here,
  // the leave packets are gone (and leave() makes nothing else).
  if (options.loseFirstLeave === true) core.ready();
  until = network.now + HANDOVER_DEADLINE_MS;
  do yield;
  while (core.stillAVoter() && network.now < until);
  // The daemon's quiesce: the last packets have a moment to leave.
  const exitAt = network.now + 50;
  while (network.now < exitAt) yield;
  network.crash(name);
}

/** A process that starts `ms` later (gridops starts a removal batch's leaves over SSH, not in the same instant). */
function* later(network: SimNetwork, ms: number, process: () => Generator<void, void>): Generator<void, void> {
  const startAt = network.now + ms;
  while (network.now < startAt) yield;
  yield* process();
}

/** Runs the processes side by side until all have exited. */
function runTogether(network: SimNetwork, processes: Generator<void, void>[]): void {
  let running = processes.filter((process) => !process.next().done);
  while (running.length > 0) {
    network.runFor(10);
    running = running.filter((process) => !process.next().done);
  }
}

function twoSubgrids(seed: number, nodesPerSubgrid = 3) {
  const grid = buildGrid({ regions: 1, subgridsPerRegion: 2, nodesPerSubgrid, seed, neverFraction: 0 });
  const network = new SimNetwork(grid.specs, { seed, dns: grid.dns });
  const invariant = new SingleLeaderPerTerm();
  network.onStep(invariant.observer);
  network.startAll();
  network.runFor(30_000);
  return { network, invariant, gone: network.subgridMembers('r0-s0'), staying: network.subgridMembers('r0-s1') };
}

/** Where the region stands once s0 is gone: its region peer, and the slots of that peer's region view. */
function regionAfter(network: SimNetwork, staying: string[]) {
  const superPeer = staying.find((name) => network.core(name)!.subgrid.isLeader()) ?? null;
  const regionPeer = staying.find((name) => network.core(name)!.region.isLeader()) ?? null;
  const slots = regionPeer === null ? null : network.core(regionPeer)!.region.view!.voters.map((peer) => peer.slot);
  return { superPeer, regionPeer, slots };
}

/** The staying sub-grid has a super peer, it is the region peer, and the region view holds its slot alone. */
function expectStayingSubgridLeadsRegion(context: Record<string, number>, after: ReturnType<typeof regionAfter>, stayingSlot = 'r0-s1'): void {
  expect({ ...context, ...after }).toEqual({ ...context, superPeer: expect.any(String), regionPeer: after.superPeer, slots: [stayingSlot] });
}

describe('a node that left for good lingers to acknowledge its removal', () => {
  test('it does not sign in again when its super peer no longer knows it', () => {
    for (const seed of [1, 2, 3]) {
      const { network, gone } = twoSubgrids(seed);
      const superPeer = gone.find((name) => network.core(name)!.subgrid.isLeader())!;
      const leaving = gone.find((name) => name !== superPeer)!;
      network.core(leaving)!.leave(true);
      // Longer than the daemon lingers (4 s): heartbeats, "not known" answers and a join would all have happened.
      network.runFor(5_000);
      const leader = network.core(superPeer)!;
      expect({ seed, registry: leader.subgrid.registry.get(leaving) !== undefined, voter: leader.subgrid.view!.voters.some((peer) => peer.name === leaving) }).toEqual({ seed, registry: false, voter: false });
    }
  });
});

describe('a whole sub-grid leaves a region of two sub-grids', () => {
  const seeds = [1, 2, 3, 4, 5, 6];

  test('one node after another, its super peer last: the other sub-grid keeps a region peer', () => {
    for (const seed of seeds) {
      const { network, invariant, gone, staying } = twoSubgrids(seed);
      const superPeer = gone.find((name) => network.core(name)!.subgrid.isLeader())!;
      for (const name of [...gone.filter((other) => other !== superPeer), superPeer]) {
        runTogether(network, [leaveForGood(network, name)]);
        network.runFor(500);
      }
      network.runFor(30_000);
      const after = regionAfter(network, staying);
      expectStayingSubgridLeadsRegion({ seed }, after);
      expect(invariant.violations).toEqual([]);
    }
  });

  test('every node at once (the removal batch): the other sub-grid keeps a region peer', () => {
    // Sub-grids of 3 and 4, and 10 seeds: the super peer's handover target is leaving too, and may
    // take the role (and the slot) before or after it said so.
    for (const [seed, nodes] of [...seeds, 7, 8, 9, 10].flatMap((seed) => [[seed, 3], [seed, 4]] as const)) {
      const { network, invariant, gone, staying } = twoSubgrids(seed, nodes);
      runTogether(network, gone.map((name) => leaveForGood(network, name)));
      network.runFor(30_000);
      const after = regionAfter(network, staying);
      expectStayingSubgridLeadsRegion({ seed, nodes }, after);
      expect(invariant.violations).toEqual([]);
    }
  });
});

describe('a leaving node whose leave is lost says it again while it lingers', () => {
  const seeds = [1, 2, 3, 4, 5];

  test('a sub-grid of two: the other node leads with a view of itself alone', () => {
    for (const seed of seeds) {
      const { network, gone } = twoSubgrids(seed, 2);
      const superPeer = gone.find((name) => network.core(name)!.subgrid.isLeader())!;
      const leaving = gone.find((name) => name !== superPeer)!;
      runTogether(network, [leaveForGood(network, leaving, { loseFirstLeave: true })]);
      network.runFor(30_000);
      const remaining = network.core(superPeer)!.subgrid;
      expect({ seed, leads: remaining.isLeader(), voters: remaining.view?.voters.map((peer) => peer.name), oldVoters: remaining.view?.oldVoters }).toEqual({ seed, leads: true, voters: [superPeer], oldVoters: undefined });
    }
  });

  test('the last node of a sub-grid, its slotEnds lost: the other sub-grid keeps a region peer', () => {
    for (const seed of seeds) {
      const { network, invariant, gone, staying } = twoSubgrids(seed, 1);
      runTogether(network, [leaveForGood(network, gone[0]!, { loseFirstLeave: true })]);
      network.runFor(30_000);
      expectStayingSubgridLeadsRegion({ seed }, regionAfter(network, staying));
      expect(invariant.violations).toEqual([]);
    }
  });
});

describe('leaving for good while packets are lost', () => {
  // 5 % loss during the leave (none before or after), over 40 seeds: one lost acknowledgement or
  // leave must not leave the remaining voters unable to commit.
  const LOSS = 0.05;
  const seeds = Array.from({ length: 40 }, (_, index) => index + 1);

  test('a sub-grid of two, one node leaves: the other leads with a view of itself alone', () => {
    const stuck: unknown[] = [];
    for (const seed of seeds) {
      const { network, invariant, gone } = twoSubgrids(seed, 2);
      const superPeer = gone.find((name) => network.core(name)!.subgrid.isLeader())!;
      const leaving = gone.find((name) => name !== superPeer)!;
      network.setLoss(LOSS);
      runTogether(network, [leaveForGood(network, leaving)]);
      network.setLoss(0);
      network.runFor(30_000);
      const remaining = network.core(superPeer)!.subgrid;
      const voters = remaining.view?.voters.map((peer) => peer.name);
      if (!remaining.isLeader() || remaining.view?.oldVoters !== undefined || JSON.stringify(voters) !== JSON.stringify([superPeer])) stuck.push({ seed, role: remaining.groupRole, voters, oldVoters: remaining.view?.oldVoters?.map((peer) => peer.name) });
      expect(invariant.violations).toEqual([]);
    }
    expect(stuck).toEqual([]);
  });

  test('a whole sub-grid of 3 at once, in a region of two sub-grids: the other sub-grid keeps a region peer', () => {
    // 100 seeds: a leave lost on its way to the handover target, which then leads (seed 81), and a
    // leaving handover target that stood for region peer (seed 87), each came once in 60 more.
    const failed: unknown[] = [];
    for (const seed of Array.from({ length: 100 }, (_, index) => index + 1)) {
      const { network, invariant, gone, staying } = twoSubgrids(seed, 3);
      network.setLoss(LOSS);
      runTogether(network, gone.map((name) => leaveForGood(network, name)));
      network.setLoss(0);
      network.runFor(30_000);
      const after = regionAfter(network, staying);
      if (after.superPeer === null || after.regionPeer !== after.superPeer || JSON.stringify(after.slots) !== JSON.stringify(['r0-s1'])) failed.push({ seed, ...after });
      expect(invariant.violations).toEqual([]);
    }
    expect(failed).toEqual([]);
  });
});

describe('a super peer that leaves for good without a successor', () => {
  const seeds = [1, 2, 3, 4, 5];

  test('where the rest of its sub-grid stays, it does not wait the 4 s out still leading: they elect a successor', () => {
    for (const seed of seeds) {
      const { network, invariant, gone } = twoSubgrids(seed);
      const superPeer = gone.find((name) => network.core(name)!.subgrid.isLeader())!;
      const core = network.core(superPeer)!;
      // What the daemon does once its handover timed out: leave(true), still leading.
      core.leave(true);
      const leftAt = network.now;
      do network.runFor(10);
      while (core.stillAVoter() && network.now < leftAt + HANDOVER_DEADLINE_MS);
      const lingeredMs = network.now - leftAt;
      network.crash(superPeer);
      network.runFor(30_000);
      const successor = gone.find((name) => name !== superPeer && network.core(name)!.subgrid.isLeader()) ?? null;
      const regionPeer = network.names().find((name) => network.isUp(name) && network.core(name)!.region.isLeader()) ?? null;
      const slots = regionPeer === null ? null : network.core(regionPeer)!.region.view!.voters.map((peer) => peer.slot).sort();
      expect({ seed, lingeredUnderASecondAndAHalf: lingeredMs < 1_500, successor, slots }).toEqual({ seed, lingeredUnderASecondAndAHalf: true, successor: expect.any(String), slots: ['r0-s0', 'r0-s1'] });
      expect(network.core(successor!)!.subgrid.view!.voters.map((peer) => peer.name)).not.toContain(superPeer);
      expect(invariant.violations).toEqual([]);
    }
  });

  test('where its whole sub-grid leaves, the others a moment after it: it still waits for them and gives the slot up', () => {
    for (const seed of seeds) {
      const { network, invariant } = twoSubgrids(seed);
      // The sub-grid whose super peer is not region peer leaves (a region peer could not drop its
      // own sub-grid's slot without its region handover: another case).
      const [goingSlot, stayingSlot] = network.subgridMembers('r0-s0').some((name) => network.core(name)!.region.isLeader()) ? ['r0-s1', 'r0-s0'] : ['r0-s0', 'r0-s1'];
      const gone = network.subgridMembers(goingSlot!);
      const superPeer = gone.find((name) => network.core(name)!.subgrid.isLeader())!;
      const core = network.core(superPeer)!;
      function* leavesWithoutSuccessor(): Generator<void, void> {
        core.leave(true);
        const until = network.now + HANDOVER_DEADLINE_MS;
        do yield;
        while (core.stillAVoter() && network.now < until);
        network.crash(superPeer);
      }
      const others = gone.filter((name) => name !== superPeer).map((name) => later(network, 300, () => leaveForGood(network, name)));
      runTogether(network, [leavesWithoutSuccessor(), ...others]);
      network.runFor(30_000);
      expectStayingSubgridLeadsRegion({ seed }, regionAfter(network, network.subgridMembers(stayingSlot!)), stayingSlot);
      expect(invariant.violations).toEqual([]);
    }
  });

  test('where only part of its sub-grid left just before it, it takes itself out of the voters within the 4 s, and the one staying leads', () => {
    for (const seed of seeds) {
      const { network, invariant, gone } = twoSubgrids(seed);
      const superPeer = gone.find((name) => network.core(name)!.subgrid.isLeader())!;
      const [leavingToo, staying] = gone.filter((name) => name !== superPeer);
      runTogether(network, [leaveForGood(network, leavingToo!)]);
      const core = network.core(superPeer)!;
      core.leave(true);
      network.runFor(HANDOVER_DEADLINE_MS);
      // Before, it waited the 4 s out still super peer (holdsSlot), and exited a voter of [itself, staying]: 2 votes of 2.
      expect({ seed, waitingFor: core.lingersFor() }).toEqual({ seed, waitingFor: null });
      network.crash(superPeer);
      network.runFor(30_000);
      const remaining = network.core(staying!)!.subgrid;
      expect({ seed, leads: remaining.isLeader(), voters: remaining.view?.voters.map((peer) => peer.name), oldVoters: remaining.view?.oldVoters }).toEqual({ seed, leads: true, voters: [staying], oldVoters: undefined });
      expect(invariant.violations).toEqual([]);
    }
    expect(LEFT_TOO_EARLY.holdsSlot).toMatch(/^left while still super peer/);
  });

  test('where part of its sub-grid leaves with it (3 voters, it and one other at once): it takes itself out of the voters, and the one staying leads', () => {
    for (const seed of [...seeds, 6, 7, 8, 9, 10]) {
      const { network, invariant, gone, staying: otherSubgrid } = twoSubgrids(seed);
      const superPeer = gone.find((name) => network.core(name)!.subgrid.isLeader())!;
      expect(network.core(superPeer)!.subgrid.view!.voters).toHaveLength(3);
      // Its handover target, when it tries one, leaves too: the handover is as good as failed.
      const [leavingToo, staying] = gone.filter((name) => name !== superPeer);
      const concurrentLeaders = watchConcurrentLeaders(network, gone);
      const slotsBefore = regionSlots(network);
      let waitingFor: ReturnType<AgentCore['lingersFor']> | undefined;
      runTogether(network, [
        leaveWithoutHandover(network, superPeer, (lingering) => {
          waitingFor = lingering;
        }),
        leaveForGood(network, leavingToo!),
      ]);
      network.runFor(30_000);
      const remaining = network.core(staying!)!.subgrid;
      expect({ seed, waitingFor, leads: remaining.isLeader(), voters: remaining.view?.voters.map((peer) => peer.name), oldVoters: remaining.view?.oldVoters }).toEqual({
        seed,
        waitingFor: null,
        leads: true,
        voters: [staying],
        oldVoters: undefined,
      });
      expect({ seed, slots: regionSlots(network) }).toEqual({ seed, slots: slotsBefore });
      expect(otherSubgrid.some((name) => network.core(name)!.subgrid.isLeader())).toBe(true);
      expect(invariant.violations).toEqual([]);
      expect(concurrentLeaders).toEqual([]);
    }
  });
});

describe('part of a sub-grid leaves with its super peer, whose handover failed, while packets are lost', () => {
  // Before, in 1 seed of 60 (26) both leaves of the other leaving node to the one staying were
  // lost, and so was the registry copy without it: the one staying, elected, took it back as a
  // voter from its copy, and the joint view waited for its answer for good. The leader's syncs now
  // carry the names that left for good, so a successor knows them even when every leave missed it.
  test('3 voters, it and one other at once, under 5 % loss (100 seeds): the one staying leads alone, and lists the super peer no more than 3 s after it exited', () => {
    const failed: unknown[] = [];
    for (const seed of Array.from({ length: 100 }, (_, index) => index + 1)) {
      const { network, invariant, gone } = twoSubgrids(seed);
      const superPeer = gone.find((name) => network.core(name)!.subgrid.isLeader())!;
      const [leavingToo, staying] = gone.filter((name) => name !== superPeer);
      const concurrentLeaders = watchConcurrentLeaders(network, gone);
      let exitedAt: number | null = null;
      // Until when the staying node lists the super peer among its members (its registry, or its copy).
      let listedUntil = network.now;
      network.onStep((node, core, time) => {
        if (node === staying && core.status().members.some((member) => member.name === superPeer)) listedUntil = time;
      });
      network.setLoss(0.05);
      runTogether(network, [
        leaveWithoutHandover(network, superPeer, () => {
          exitedAt = network.now;
        }),
        leaveForGood(network, leavingToo!),
      ]);
      network.setLoss(0);
      network.runFor(30_000);
      const remaining = network.core(staying!)!.subgrid;
      const voters = remaining.view?.voters.map((peer) => peer.name);
      const listedAfterExitMs = listedUntil - exitedAt!;
      const leadsAlone = remaining.isLeader() && remaining.view?.oldVoters === undefined && JSON.stringify(voters) === JSON.stringify([staying]);
      if (!leadsAlone || listedAfterExitMs > 3_000) failed.push({ seed, leads: remaining.isLeader(), voters, oldVoters: remaining.view?.oldVoters?.map((peer) => peer.name), listedAfterExitMs });
      expect(invariant.violations).toEqual([]);
      expect(concurrentLeaders).toEqual([]);
    }
    expect(failed).toEqual([]);
  });
});

describe('a voter that missed every leave of a node, and the registry copy without it, does not take it back once elected', () => {
  const seeds = [1, 2, 3, 4, 5, 6, 7, 8];

  test('3 voters, the super peer (its handover failed) and one other leave at once; the other\'s leaves to the one staying, and the registry copies to it, are lost: the one staying leads alone', () => {
    for (const seed of seeds) {
      const { network, invariant, gone } = twoSubgrids(seed);
      const superPeer = gone.find((name) => network.core(name)!.subgrid.isLeader())!;
      const [leavingToo, staying] = gone.filter((name) => name !== superPeer);
      const concurrentLeaders = watchConcurrentLeaders(network, gone);
      // The lossy case of 1 seed in 60 at 5 % loss (above), every time.
      network.loseWhere((from, to, message) => to === staying && message.tier === 'subgrid' && ((message.type === 'leave' && from === leavingToo) || (message.type === 'sync' && message.registry !== undefined)));
      runTogether(network, [leaveWithoutHandover(network, superPeer, () => {}), leaveForGood(network, leavingToo!)]);
      network.loseWhere(null);
      network.runFor(30_000);
      const remaining = network.core(staying!)!.subgrid;
      expect({ seed, leads: remaining.isLeader(), voters: remaining.view?.voters.map((peer) => peer.name), oldVoters: remaining.view?.oldVoters }).toEqual({ seed, leads: true, voters: [staying], oldVoters: undefined });
      expect(invariant.violations).toEqual([]);
      expect(concurrentLeaders).toEqual([]);
    }
  });

  test('2 voters, the super peer leaves without a successor and every leave it sends to the other is lost: the other, elected, leads alone (the leaver\'s syncs say it leaves)', () => {
    for (const seed of seeds) {
      const { network, invariant, gone } = twoSubgrids(seed, 2);
      const superPeer = gone.find((name) => network.core(name)!.subgrid.isLeader())!;
      const other = gone.find((name) => name !== superPeer)!;
      const concurrentLeaders = watchConcurrentLeaders(network, gone);
      network.loseWhere((from, to, message) => from === superPeer && to === other && message.type === 'leave');
      const waitingFor = leaveStillLeading(network, superPeer);
      network.loseWhere(null);
      network.runFor(30_000);
      const remaining = network.core(other)!.subgrid;
      expect({ seed, waitingFor, leads: remaining.isLeader(), voters: remaining.view?.voters.map((peer) => peer.name), oldVoters: remaining.view?.oldVoters }).toEqual({ seed, waitingFor: null, leads: true, voters: [other], oldVoters: undefined });
      expect(invariant.violations).toEqual([]);
      expect(concurrentLeaders).toEqual([]);
    }
  });
});

describe('a voter that learns a departure only from its leader\'s syncs', () => {
  const seeds = [1, 2, 3, 4, 5, 6];

  /** One sub-grid of 3 nodes: the super peer, another voter, and a third node (a voter too with 2 mirrors). */
  function threeNodes(seed: number, mirrors: number) {
    const grid = buildGrid({ regions: 1, subgridsPerRegion: 1, nodesPerSubgrid: 3, seed, neverFraction: 0, mirrors });
    const network = new SimNetwork(grid.specs, { seed, dns: grid.dns });
    const invariant = new SingleLeaderPerTerm();
    network.onStep(invariant.observer);
    network.startAll();
    network.runFor(30_000);
    const members = network.subgridMembers('r0-s0');
    const superPeer = members.find((name) => network.core(name)!.subgrid.isLeader())!;
    const voter = network.core(superPeer)!.subgrid.view!.voters.find((peer) => peer.name !== superPeer)!.name;
    const member = members.find((name) => name !== superPeer && name !== voter)!;
    return { network, invariant, superPeer, voter, member };
  }

  test('a member leaves for good; its leave and the registry copies never reach the other voter: it still counts a removal batch as under way (the syncs\' names count as leaves)', () => {
    for (const seed of seeds) {
      const { network, invariant, voter, member } = threeNodes(seed, 1);
      network.loseWhere((from, to, message) => to === voter && ((message.type === 'leave' && from === member) || (message.type === 'sync' && message.registry !== undefined)));
      network.leave(member, true);
      network.runFor(1_000);
      network.loseWhere(null);
      const ticksSince = network.core(voter)!.subgrid.ticksSinceMemberLeftForGood();
      expect({ seed, knownWithin1s: ticksSince <= 10 }).toEqual({ seed, knownWithin1s: true });
      expect(invariant.violations).toEqual([]);
    }
  });

  test('a voter of 3 leaves for good as the super peer starts a handover: the target, which missed its leave, the registry copy and the view without it, learns it from the outgoing leader\'s syncs (of the older term, which it waits for) and does not keep it', () => {
    for (const seed of seeds) {
      const { network, invariant, superPeer } = threeNodes(seed, 2);
      const term = network.core(superPeer)!.subgrid.term;
      const voter = network.core(superPeer)!.handover().subgrid!;
      const member = network.subgridMembers('r0-s0').find((name) => name !== superPeer && name !== voter)!;
      // Only the outgoing leader's syncs of the older term, once the target stands, may tell it.
      network.loseWhere((from, to, message) => to === voter && ((message.type === 'leave' && from === member) || (message.type === 'sync' && (message.registry !== undefined || message.term >= network.core(voter)!.subgrid.term))));
      network.leave(member, true);
      let ledAt: number | null = null;
      const until = network.now + 3_000;
      while (ledAt === null && network.now < until) {
        network.runFor(5);
        if (network.core(voter)!.subgrid.isLeader()) ledAt = network.now;
      }
      network.loseWhere(null);
      const successor = network.core(voter)!.subgrid;
      expect({ seed, leads: successor.isLeader(), newTerm: successor.term > term, keeps: successor.registry.get(member)?.liveness ?? null }).toEqual({ seed, leads: true, newTerm: true, keeps: null });
      expect(invariant.violations).toEqual([]);
    }
  });
});

/** The daemon's `gridagent leave` once its handover failed, as a process: leave(true) still leading, linger (at most 4 s), exit; `exited` gets what it still waited for. */
function* leaveWithoutHandover(network: SimNetwork, name: string, exited: (waitingFor: ReturnType<AgentCore['lingersFor']>) => void): Generator<void, void> {
  const core = network.core(name)!;
  core.leave(true);
  const until = network.now + HANDOVER_DEADLINE_MS;
  do yield;
  while (core.stillAVoter() && network.now < until);
  exited(core.lingersFor());
  const exitAt = network.now + 50;
  while (network.now < exitAt) yield;
  network.crash(name);
}

/** Never two live super peers of the sub-grid `members` at once (stronger than one per term; grow.test.ts). */
function watchConcurrentLeaders(network: SimNetwork, members: string[]): string[] {
  const seen: string[] = [];
  network.onStep((_node, _core, time) => {
    if (seen.length > 5) return;
    const leaders = members.filter((name) => network.isUp(name) && network.core(name)!.subgrid.isLeader());
    if (leaders.length > 1) seen.push(`${time}: led by ${leaders.join(', ')}`);
  });
  return seen;
}

/** The region voter slots, as the live region peer's view holds them (sorted), or null without one. */
function regionSlots(network: SimNetwork): (string | undefined)[] | null {
  const regionPeer = network.names().find((name) => network.isUp(name) && network.core(name)!.region.isLeader());
  return regionPeer === undefined ? null : network.core(regionPeer)!.region.view!.voters.map((peer) => peer.slot).sort();
}

/** The daemon's `gridagent leave` once its handover failed: leave(true) still leading, linger (at most 4 s), exit. Returns what it still waited for. */
function leaveStillLeading(network: SimNetwork, name: string): ReturnType<AgentCore['lingersFor']> {
  const core = network.core(name)!;
  core.leave(true);
  const leftAt = network.now;
  do network.runFor(10);
  while (core.stillAVoter() && network.now < leftAt + HANDOVER_DEADLINE_MS);
  const waitingFor = core.lingersFor();
  network.runFor(50);
  network.crash(name);
  return waitingFor;
}

describe('the super peer of a sub-grid of two voters leaves for good without a successor', () => {
  const seeds = [1, 2, 3, 4, 5, 6];

  test('it takes itself out of the voters before it exits: the other node leads with a view of itself alone, also after a restart', () => {
    for (const seed of seeds) {
      const { network, invariant, gone } = twoSubgrids(seed, 2);
      const superPeer = gone.find((name) => network.core(name)!.subgrid.isLeader())!;
      const other = gone.find((name) => name !== superPeer)!;
      const concurrentLeaders = watchConcurrentLeaders(network, gone);
      const slotsBefore = regionSlots(network);
      const waitingFor = leaveStillLeading(network, superPeer);
      network.runFor(30_000);
      const remaining = () => network.core(other)!.subgrid;
      const outcome = () => ({ seed, leads: remaining().isLeader(), voters: remaining().view?.voters.map((peer) => peer.name), oldVoters: remaining().view?.oldVoters });
      const expected = { seed, leads: true, voters: [other], oldVoters: undefined };
      expect({ seed, waitingFor }).toEqual({ seed, waitingFor: null });
      expect(outcome()).toEqual(expected);
      // Its sub-grid stays: so does its region voter slot, now held by the other node.
      expect({ seed, slots: regionSlots(network) }).toEqual({ seed, slots: slotsBefore });
      // The removal is durable: a restart does not bring the gone voter back into the quorum.
      network.crash(other);
      network.restart(other);
      network.runFor(30_000);
      expect(outcome()).toEqual(expected);
      expect(invariant.violations).toEqual([]);
      expect(concurrentLeaders).toEqual([]);
    }
  });

  test('the other node soon no longer lists it among the members (not 17 s later, when its death would remove it)', () => {
    for (const seed of seeds) {
      const { network, gone } = twoSubgrids(seed, 2);
      const superPeer = gone.find((name) => network.core(name)!.subgrid.isLeader())!;
      const other = gone.find((name) => name !== superPeer)!;
      expect(leaveStillLeading(network, superPeer)).toBeNull();
      network.runFor(3_000);
      expect({ seed, members: network.core(other)!.status().members.map((member) => member.name) }).toEqual({ seed, members: [other] });
    }
  });

  test('under 5 % packet loss (40 seeds): the other node still ends up leading with a view of itself alone', () => {
    const stuck: unknown[] = [];
    for (const seed of Array.from({ length: 40 }, (_, index) => index + 1)) {
      const { network, invariant, gone } = twoSubgrids(seed, 2);
      const superPeer = gone.find((name) => network.core(name)!.subgrid.isLeader())!;
      const other = gone.find((name) => name !== superPeer)!;
      const concurrentLeaders = watchConcurrentLeaders(network, gone);
      network.setLoss(0.05);
      const waitingFor = leaveStillLeading(network, superPeer);
      network.setLoss(0);
      network.runFor(30_000);
      const remaining = network.core(other)!.subgrid;
      const voters = remaining.view?.voters.map((peer) => peer.name);
      if (waitingFor !== null || !remaining.isLeader() || remaining.view?.oldVoters !== undefined || JSON.stringify(voters) !== JSON.stringify([other])) stuck.push({ seed, waitingFor, role: remaining.groupRole, voters });
      expect(invariant.violations).toEqual([]);
      expect(concurrentLeaders).toEqual([]);
    }
    expect(stuck).toEqual([]);
  });

  test('cut off from the other voter, it exits after its bound with a warning, and the other never leads: it never shrinks its quorum on its own', () => {
    // Cut before it leaves, once it installed the joint view, or once it installed the view without itself.
    const cuts: Array<[string, (view: View) => boolean]> = [
      ['before', () => true],
      ['joint', (view) => view.oldVoters !== undefined],
      ['without itself', (view) => view.oldVoters === undefined && view.voters.length === 1],
    ];
    for (const seed of seeds) {
      for (const [when, cutOnce] of cuts) {
        const { network, invariant, gone } = twoSubgrids(seed, 2);
        const superPeer = gone.find((name) => network.core(name)!.subgrid.isLeader())!;
        const other = gone.find((name) => name !== superPeer)!;
        const concurrentLeaders = watchConcurrentLeaders(network, gone);
        let cutAt: number | null = null;
        let otherLedAt: number | null = null;
        network.onStep((node, core, time) => {
          if (node === superPeer && cutAt === null && core.subgrid.view !== null && cutOnce(core.subgrid.view)) {
            network.cut(superPeer, other);
            cutAt = time;
          }
          if (node === other && otherLedAt === null && core.subgrid.isLeader()) otherLedAt = time;
        });
        if (when === 'before') {
          network.cut(superPeer, other);
          cutAt = network.now;
        }
        const waitingFor = leaveStillLeading(network, superPeer);
        network.heal();
        network.runFor(30_000);
        // Up to the joint view, it lost its quorum (CheckQuorum) still a voter; after it, it never saw the view without itself committed.
        expect({ seed, when, cut: cutAt !== null, waitingFor, otherLedAt }).toEqual({ seed, when, cut: true, waitingFor: when === 'without itself' ? 'leadsVoters' : 'subgridVoter', otherLedAt: null });
        expect(invariant.violations).toEqual([]);
        expect(concurrentLeaders).toEqual([]);
      }
    }
  });
});
