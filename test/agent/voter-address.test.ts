import type { MessageType } from '../../src/agent/core/types.js';
import type { SimNetwork, WirePacket } from '../../src/agent/sim/network.js';
import { leaderOf, smallCluster } from './sim-helpers.js';

/** What a voter sends only to the other voters, at the address it holds for them (context.ts, holderOf). */
const VOTER_TRAFFIC = new Set<MessageType>(['preVote', 'vote', 'sync', 'timeoutNow']);

/** Every address `from` sent voter traffic for `to` to, from now on, even where nobody listens. */
function voterTrafficAddresses(network: SimNetwork, from: string, to: string): Set<string | undefined> {
  const addrs = new Set<string | undefined>();
  network.onSend((sender, out) => {
    if (sender === from && out.dest.kind === 'node' && out.dest.name === to && VOTER_TRAFFIC.has(out.message.type)) addrs.add(out.dest.addr);
  });
  return addrs;
}

/**
 * Review H1: a voter's address was taken from the last packet that passed the guard, including
 * a discover, which passes without proving it was made after this run of the receiver started.
 * The MAC does not cover the source address, so a discover captured earlier and replayed from
 * another host moved the voter there: votes and syncs for it went to the attacker.
 */
describe('a voter\'s address follows only fresh, authenticated packets (simulated network, addresses host:port)', () => {
  test('a replayed discover of a voter, sent from an attacker\'s address, does not draw the traffic meant for it', () => {
    const { network, names, invariant } = smallCluster(3, { cores: [16, 8, 8], addressed: true });
    network.runFor(10_000);
    expect(leaderOf(network, names)).toBe('n1');

    // n2 restarts cut off from its super peer: its discovers reach n3 (and the attacker recording
    // the wire) but not n1, so n1's replay window has not seen them.
    const captured: WirePacket[] = [];
    network.onWire((packet) => {
      if (packet.packet.message.from === 'n2' && packet.packet.message.type === 'discover') captured.push(packet);
    });
    network.cut('n1', 'n2');
    network.crash('n2');
    network.restart('n2');
    network.runFor(1_000);
    network.heal();
    network.runFor(3_000);
    expect(leaderOf(network, names)).toBe('n1');
    expect(captured.length).toBeGreaterThan(0);

    const sent = voterTrafficAddresses(network, 'n1', 'n2');
    for (const packet of captured) network.inject('n1', 'n2', packet.packet, 'attacker:6666');
    network.runFor(3_000);

    expect([...sent]).toContain('n2:7946');
    expect([...sent]).not.toContain('attacker:6666');
    expect(leaderOf(network, names)).toBe('n1');
    expect(invariant.violations).toEqual([]);
  });
});
