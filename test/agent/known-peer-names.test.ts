import { decodePacket, encodePacket } from '../../src/agent/core/wire.js';
import type { Message } from '../../src/agent/core/types.js';
import { DatagramIntake, DEFAULT_DATAGRAM_LIMITS } from '../../src/agent/runtime/datagram-intake.js';
import { KnownPeerNames } from '../../src/agent/runtime/known-peer-names.js';

/** Lets the resolver's promises settle. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const key = Buffer.alloc(32, 7);
const hb = { type: 'hb', tier: 'subgrid', group: 'g', from: 'member-2', to: 'leader', term: 1, incarnation: 1, attrsVersion: 1, load: 0, score: 1, viewTerm: 1, viewVersion: 1 } as Message;

/** Heartbeats of a member at 10.0.0.5, one a second for 10 s, under a flood of forged datagrams from many addresses. */
function heartbeatsThroughFlood(known: Iterable<string>): number {
  const clock = { now: 0 };
  let delivered = 0;
  const intake = new DatagramIntake(DEFAULT_DATAGRAM_LIMITS, (packet) => decodePacket(packet, key), () => void delivered++, () => undefined, () => clock.now);
  intake.setKnownPeers(known);
  const forged = Buffer.alloc(60, 0x61);
  forged.write('GA\x02\x00', 0, 'latin1');
  // A payload that looks like JSON, so that only the MAC check can refuse it.
  forged[20] = 0x7b;
  forged[43] = 0x7d;
  let seq = 0;
  for (let ms = 0; ms < 10_000; ms++) {
    clock.now = ms;
    for (let i = 0; i < 20; i++) intake.receive(forged, `198.51.${((ms * 20 + i) >> 8) & 255}.${(ms * 20 + i) & 255}`, 4000);
    if (ms % 1000 === 0) intake.receive(encodePacket(hb, { epoch: 1, seq: ++seq, nonce: 1, echo: 0 }, key), '10.0.0.5', 7946);
  }
  return delivered;
}

describe('known peers held by a DNS name', () => {
  test('a member known as member-2.lan is checked without limit once the name resolved, as one known by its address', async () => {
    const names = new KnownPeerNames(async (name) => (name === 'member-2.lan' ? ['10.0.0.5'] : []));
    // The first call only queues the lookup: the tick never waits for DNS.
    expect(names.addresses(['member-2.lan', '10.0.0.9'])).toEqual(new Set(['10.0.0.9']));
    await settle();
    const known = names.addresses(['member-2.lan', '10.0.0.9']);
    expect(known).toEqual(new Set(['10.0.0.5', '10.0.0.9']));
    expect(heartbeatsThroughFlood(known)).toBe(10);
    // The control: matched as the name, as before, the member was a stranger to the intake.
    expect(heartbeatsThroughFlood(['member-2.lan'])).toBeLessThan(5);
  });

  test('a name is looked up again after a minute, keeps its addresses when the resolver fails, and is forgotten when no longer a peer', async () => {
    const clock = { now: 0 };
    const answers: Array<string[] | Error> = [['10.0.0.5'], new Error('EAI_AGAIN'), ['10.0.0.6']];
    let lookups = 0;
    const names = new KnownPeerNames(async () => {
      const answer = answers[lookups++]!;
      if (answer instanceof Error) throw answer;
      return answer;
    }, () => clock.now);
    names.addresses(['peer.lan']);
    await settle();
    clock.now = 30_000;
    expect(names.addresses(['peer.lan'])).toEqual(new Set(['10.0.0.5']));
    await settle();
    expect(lookups).toBe(1);
    clock.now = 61_000;
    names.addresses(['peer.lan']);
    await settle();
    expect(lookups).toBe(2);
    expect(names.addresses(['peer.lan'])).toEqual(new Set(['10.0.0.5']));
    clock.now = 122_000;
    names.addresses(['peer.lan']);
    await settle();
    expect(names.addresses(['peer.lan'])).toEqual(new Set(['10.0.0.6']));
    // Dropped from the peers, then back: looked up afresh, not answered from the old record.
    names.addresses([]);
    expect(names.addresses(['peer.lan'])).toEqual(new Set());
  });

  test('lookups run two at a time, the rest queued behind them', async () => {
    let inFlight = 0;
    let most = 0;
    const names = new KnownPeerNames(async (name) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await settle();
      inFlight--;
      return [`10.0.0.${name.slice(1)}`];
    });
    const hosts = Array.from({ length: 10 }, (_, i) => `h${i + 1}`);
    names.addresses(hosts);
    for (let round = 0; round < 20; round++) await settle();
    expect(most).toBe(2);
    expect(names.addresses(hosts).size).toBe(10);
  });
});
