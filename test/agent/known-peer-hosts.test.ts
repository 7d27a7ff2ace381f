import type { WirePacket } from '../../src/agent/sim/network.js';
import { knownPeerHosts } from '../../src/agent/runtime/known-peer-hosts.js';
import { SimNetwork } from '../../src/agent/sim/network.js';
import { buildGrid } from '../../src/agent/sim/topology.js';
import { leaderOf, smallCluster } from './sim-helpers.js';

/**
 * The peers whose datagrams a node checks without limit (datagram-intake.ts): those the core holds
 * an address for. A keyless attacker that replays a captured packet from its own host must not
 * become one of them, or its address would escape the MAC budget.
 */
describe('the hosts of known peers', () => {
  test('a super peer knows every member of its sub-grid; a replay from another host does not make that host known', () => {
    const { network, names } = smallCluster(5, { seed: 4, addressed: true });
    const captured: WirePacket[] = [];
    network.onWire((packet) => void captured.push(packet));
    network.runFor(10_000);
    const leader = leaderOf(network, names)!;
    const known = knownPeerHosts(network.core(leader)!);
    for (const name of names.filter((other) => other !== leader)) expect(known.has(name)).toBe(true);

    for (const packet of captured.filter((wire) => wire.to === leader).slice(-200)) network.inject(leader, packet.from, packet.packet, 'attacker:7946');
    network.runFor(2_000);
    expect(knownPeerHosts(network.core(leader)!).has('attacker')).toBe(false);
  });

  test('a member knows its super peer and the voters', () => {
    const { network, names } = smallCluster(5, { seed: 4, addressed: true });
    network.runFor(10_000);
    const leader = leaderOf(network, names)!;
    const member = names.find((name) => name !== leader)!;
    const known = knownPeerHosts(network.core(member)!);
    expect(known.has(leader)).toBe(true);
    for (const voter of network.core(leader)!.status().mirrors) if (voter !== member) expect(known.has(voter)).toBe(true);
  });

  test('a region peer knows the region peers of the other regions (their summaries cross between regions)', () => {
    const grid = buildGrid({ regions: 3, subgridsPerRegion: 2, nodesPerSubgrid: 3, seed: 5, neverFraction: 0 });
    // Reached only at host:port, as in the runtime.
    const specs = grid.specs.map((spec) => ({ ...spec, settings: { ...spec.settings, addr: `${spec.settings.name}:7946` } }));
    const network = new SimNetwork(specs, { seed: 5, dns: grid.dns });
    network.startAll();
    network.runFor(40_000);
    const regionPeers = network.names().filter((name) => network.core(name)!.region.isLeader());
    expect(new Set(regionPeers.map((name) => network.core(name)!.status().region)).size).toBe(3);
    for (const peer of regionPeers) {
      const known = knownPeerHosts(network.core(peer)!);
      for (const other of regionPeers) if (other !== peer) expect(known.has(other)).toBe(true);
      // Where their summaries came from too (the address they advertise may be a DNS name).
      expect(network.core(peer)!.directory.regionPeerProvenAddresses().map((addr) => addr.split(':')[0]).sort()).toEqual(regionPeers.filter((other) => other !== peer).sort());
    }
  });
});
