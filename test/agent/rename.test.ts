import { SimNetwork, type SimNodeSpec } from '../../src/agent/sim/network.js';
import { SingleLeaderPerTerm } from '../../src/agent/sim/invariants.js';

/**
 * A node renamed in the topology at the same address, as gridops applies it (playbooks/agent-rename.yaml):
 * in a sub-grid of two, the agent leaves for good under its old name (`gridagent leave`: a super
 * peer hands over first), its state is cleared, and a fresh agent starts under the new name at the
 * same address, with the bootstrap file it was born with. The sub-grid has one super peer again,
 * and no view names the old name.
 */

const names = ['a', 'x'];

function spec(name: string, addr: string): SimNodeSpec {
  return {
    settings: {
      name,
      region: 'r',
      subgrid: 's',
      addr,
      superPeer: 'auto',
      attrs: { arch: 'x86_64', cores: 8, memoryMiB: 16384, labels: {}, load: 0, uptimeSec: 7200 },
      // bootstrap.json is written once, at the node's birth: the renamed node keeps the old electorate's size.
      expect: 2,
      regionExpect: 1,
      mirrors: 4,
      hysteresis: 0.25,
    },
    seeds: ['a', 'x', 'b'].filter((other) => other !== name),
  };
}

const leaders = (network: SimNetwork, running: string[]): string[] => running.filter((name) => network.core(name)!.subgrid.isLeader());

function settled(network: SimNetwork, running: string[]): boolean {
  const found = leaders(network, running);
  return found.length === 1 && running.every((name) => network.core(name)!.status().superPeer === found[0]);
}

/**
 * `gridagent leave` as the daemon does it: a super peer hands its role over and waits for the
 * successor (at most 4 s); the node says it leaves for good, keeps answering until it holds a view
 * without itself (at most 4 s), then stops.
 */
function leaveForGood(network: SimNetwork, name: string, waitUntilDropped = true): void {
  const core = network.core(name)!;
  const asked = core.handover();
  let until = network.now + 4_000;
  while ((asked.subgrid !== null || asked.region !== null) && network.now < until && core.subgrid.isLeader()) network.runFor(10);
  if (!waitUntilDropped) return network.leave(name, true);
  core.leave(true);
  until = network.now + 4_000;
  do network.runFor(10);
  while (core.stillAVoter() && network.now < until);
  network.runFor(50);
  network.crash(name);
}

/** A sub-grid of two, settled; `renamedLeads`: the node to rename is its super peer, else the other voter. */
function settledPair(seed: number, renamedLeads: boolean) {
  const network = new SimNetwork(
    names.map((name) => spec(name, `${name === 'a' ? '10.0.0.1' : '10.0.0.2'}:7946`)),
    { seed, dns: { r: names } },
  );
  const invariant = new SingleLeaderPerTerm();
  network.onStep(invariant.observer);
  network.startAll();
  network.runFor(20_000);
  expect(settled(network, names)).toBe(true);
  const renamed = renamedLeads ? leaders(network, names)[0]! : names.find((name) => !network.core(name)!.subgrid.isLeader())!;
  return { network, invariant, renamed, other: names.find((name) => name !== renamed)! };
}

describe('a node renamed at the same address, in a sub-grid of two', () => {
  test('a node that stops at once after saying it leaves (the daemon before it waited to be dropped): the other voter never elects again', () => {
    const { network, renamed, other } = settledPair(1, false);
    leaveForGood(network, renamed, false);
    network.addNode(spec('b', '10.0.0.1:7946'));
    network.start('b');
    network.runFor(20_000);
    expect(settled(network, [other, 'b'])).toBe(false);
    expect(network.core(other)!.subgrid.view!.oldVoters?.map((peer) => peer.name)).toContain(renamed);
  });

  for (const renamedLeads of [true, false]) {
    test(`${renamedLeads ? 'the super peer' : 'the other voter'} leaves under its old name, a fresh agent joins under the new one, and a super peer is elected`, () => {
      for (const seed of [1, 2, 3, 4, 5]) {
        const { network, invariant, renamed, other } = settledPair(seed, renamedLeads);

        leaveForGood(network, renamed);
        network.addNode(spec('b', `${renamed === 'a' ? '10.0.0.1' : '10.0.0.2'}:7946`));
        network.start('b');
        network.runFor(20_000);

        const running = [other, 'b'];
        expect({ seed, settled: settled(network, running) }).toEqual({ seed, settled: true });
        const leader = network.core(leaders(network, running)[0]!)!;
        expect({ seed, voters: leader.subgrid.view!.voters.map((peer) => peer.name).sort() }).toEqual({ seed, voters: ['b', other].sort() });
        expect(invariant.violations).toEqual([]);
      }
    });
  }
});
