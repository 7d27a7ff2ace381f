import { PacketGuard } from '../../src/agent/core/guard.js';
import type { Message, Packet } from '../../src/agent/core/types.js';
import type { WirePacket } from '../../src/agent/sim/network.js';
import { smallCluster } from './sim-helpers.js';

/**
 * A packet of an epoch below the sender's newest is answered with a challenge naming that epoch
 * (epoch-behind.test.ts). Answering every copy let one captured packet, replayed from a forged
 * source address, make every node send a stream of challenges to that address.
 */

const hb = (seq: number, epoch: number): Packet => ({
  header: { epoch, seq, nonce: 9, echo: 0 },
  message: { type: 'hb', tier: 'subgrid', group: 'g', from: 's', to: 'r', term: 1, incarnation: 1, attrsVersion: 1, load: 0, score: 1, viewTerm: 1, viewVersion: 1 } as Message,
});

test('one captured packet of an old run, replayed 1,000 times from a forged address, draws at most one challenge there', () => {
  const { network } = smallCluster(3, { addressed: true });
  const captured: WirePacket[] = [];
  network.onWire((packet) => captured.push(packet));
  network.runFor(5_000);
  const old = captured.filter((packet) => packet.packet.message.from === 'n3' && packet.to === 'n1');
  network.crash('n3');
  network.runFor(300);
  network.restart('n3');
  network.runFor(5_000);
  const replay = old[0]!;
  const victim = 'victim.example:9999';
  let toVictim = 0;
  network.onSend((from, out) => {
    if (from === 'n1' && out.dest.kind === 'node' && out.dest.addr === victim) toVictim++;
  });
  for (let copy = 0; copy < 1_000; copy++) {
    network.inject('n1', 'n3', replay.packet, victim);
    if (copy % 10 === 9) network.runFor(100);
  }
  network.runFor(200);
  expect(toVictim).toBeLessThanOrEqual(1);
  // The real n3 is still heard: the replays changed nothing.
  expect(network.core('n1')!.subgrid.registry.get('n3')?.liveness).toBe('alive');
});

describe('stale-epoch challenges have a budget of their own', () => {
  test('each stale packet is challenged once, and a sender gets one such challenge per interval', () => {
    const receiver = new PacketGuard({ self: 'r', epoch: 100, nonce: 7, staleChallengeTicks: 10 });
    receiver.inspect(hb(1, 60));
    const stale = hb(5, 50);
    expect(receiver.challenge(stale, 'addr', 60)).not.toBeNull();
    for (let tick = 0; tick < 30; tick++) receiver.tick();
    expect(receiver.challenge(stale, 'addr', 60)).toBeNull();
    // Another stale packet: at most one per interval.
    expect(receiver.challenge(hb(6, 50), 'addr', 60)).not.toBeNull();
    expect(receiver.challenge(hb(7, 50), 'addr', 60)).toBeNull();
    for (let tick = 0; tick < 10; tick++) receiver.tick();
    expect(receiver.challenge(hb(7, 50), 'addr', 60)).not.toBeNull();
  });

  test('stale-epoch replays do not use up the challenges of unvalidated packets, nor the other way round', () => {
    const receiver = new PacketGuard({ self: 'r', epoch: 100, nonce: 7, challengesPerTick: 2 });
    receiver.inspect(hb(1, 60));
    for (let seq = 10; seq < 20; seq++) receiver.challenge(hb(seq, 50), 'forged', 60);
    expect(receiver.challenge(hb(2, 60), 'addr', undefined)).not.toBeNull();
    expect(receiver.challenge(hb(3, 60), 'addr', undefined)).not.toBeNull();
    expect(receiver.challenge(hb(4, 60), 'addr', undefined)).toBeNull();
    // The real re-added node still gets its aboveEpoch challenge (after the interval the replays took).
    for (let tick = 0; tick < 10; tick++) receiver.tick();
    expect(receiver.challenge(hb(30, 50), 'addr', 60)?.message).toMatchObject({ aboveEpoch: 60, forSeq: 30 });
  });
});
