import type { AgentSettings } from '../../src/agent/core/agent.js';
import { SingleLeaderPerTerm } from '../../src/agent/sim/invariants.js';
import { SimNetwork, type SimNodeSpec } from '../../src/agent/sim/network.js';
import { groupBirths } from '../../src/state/group-births.js';
import type { GridState, HostState } from '../../src/state/state.js';
import { bootstrapElectorate, type BootstrapElectorate } from '../../src/templates/bootstrap-electorate.js';
import { checkTopologyText } from '../../src/topology/load.js';

/**
 * A new sub-grid whose first apply deployed the agent on one node only (the others unreachable,
 * or failed before the agent playbook), and whose next apply deploys the rest: the electorate
 * gridops renders for the late nodes must let the sub-grid elect its first super peer.
 */

const TOPOLOGY = `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
regions:
  - name: r
    regionPeerName: r
    subgrids:
      - name: s
        nodes: [{ name: a, address: 10.0.0.1 }, { name: b, address: 10.0.0.2 }, { name: c, address: 10.0.0.3 }]
`;
const grid = checkTopologyText('t.yaml', TOPOLOGY).grid!;
const names = ['a', 'b', 'c'];
const nodeOf = (name: string) => grid.regions[0]!.subgrids[0]!.nodes.find((n) => n.name === name)!;

/** The agent as gridops configures it: its bootstrap file's electorates become expect/electorate (runtime/daemon.ts). */
function agentOf(name: string, bootstrap: BootstrapElectorate): SimNodeSpec {
  const settings: AgentSettings = {
    name,
    region: 'r',
    subgrid: 's',
    superPeer: 'auto',
    attrs: { arch: 'x86_64', cores: 8, memoryMiB: 16384, labels: {}, load: 0, uptimeSec: 7200 },
    ...(bootstrap.subgrid ? { expect: bootstrap.subgrid.length, electorate: bootstrap.subgrid } : {}),
    ...(bootstrap.region ? { regionExpect: bootstrap.region.length, regionElectorate: bootstrap.region } : {}),
    mirrors: 4,
    hysteresis: 0.25,
    regionPeerName: 'r',
  };
  return { settings, seeds: names.filter((other) => other !== name) };
}

const empty: GridState = { format: 'gridops-state/v1', grid: 'g', serial: 0, hosts: {} };
const first = bootstrapElectorate(grid, nodeOf('a'), groupBirths(empty));

/** What record-state leaves after the first apply: `a` applied with the agent (and its electorate), `b` failed before it, `c` never reached. */
const hostState = (ok: boolean): HostState => ({
  node: { address: '10.0.0.1', region: 'r', subgrid: 's', user: 'root', port: 22 },
  ...(ok ? { electorate: { subgrid: first.subgrid!, region: first.region! } } : {}),
  topologyHash: ok ? 'h' : '',
  playbooks: ok ? ['node-base', 'agent'] : [],
  gridopsVersion: '1',
  agentVersion: null,
  appliedAt: ok ? '2026-12-05T00:00:00Z' : '',
  changesApplied: 0,
  lastOutcome: ok ? 'applied' : 'failed',
});
const afterFirst: GridState = { ...empty, serial: 1, hosts: { a: hostState(true), b: hostState(false) } };

/** Runs the two applies on the simulated network: `a` alone for 20 s, then `b` and `c` with `late`'s electorate for 120 s. */
function twoApplies(seed: number, late: (name: string) => BootstrapElectorate): { network: SimNetwork; invariant: SingleLeaderPerTerm } {
  const network = new SimNetwork([agentOf('a', first)], { seed, dns: { r: ['a', 'b'] } });
  const invariant = new SingleLeaderPerTerm();
  network.onStep(invariant.observer);
  network.startAll();
  network.runFor(20_000);
  expect(network.core('a')!.subgrid.isLeader()).toBe(false);
  for (const name of ['b', 'c']) {
    network.addNode(agentOf(name, late(name)));
    network.start(name);
  }
  network.runFor(120_000);
  return { network, invariant };
}

const leaders = (network: SimNetwork): string[] => names.filter((name) => network.core(name)!.subgrid.isLeader());

describe('a sub-grid whose first apply reached only some nodes (simulated network)', () => {
  test('elects its first super peer once the late nodes get the electorate gridops renders for them', () => {
    for (const seed of [1, 2, 3]) {
      const { network, invariant } = twoApplies(seed, (name) => bootstrapElectorate(grid, nodeOf(name), groupBirths(afterFirst)));
      expect({ seed, leaders: leaders(network).length }).toEqual({ seed, leaders: 1 });
      const [leader] = leaders(network);
      for (const name of names) expect({ name, follows: network.core(name)!.subgrid.leaderName }).toEqual({ name, follows: leader });
      // Its super peer, whichever it is, was born with the region's electorate too: the region elects it as region peer.
      expect(names.filter((name) => network.core(name)!.region.isLeader())).toEqual([leader]);
      expect(invariant.violations).toEqual([]);
    }
  });

  test('never elects one when the late nodes sign in instead (no electorate): the first node alone cannot reach 2 votes of 3', () => {
    const { network, invariant } = twoApplies(1, () => ({ peerRegions: [] }));
    expect(leaders(network)).toEqual([]);
    expect(invariant.violations).toEqual([]);
  });
});
