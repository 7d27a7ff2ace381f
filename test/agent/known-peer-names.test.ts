import { jest } from '@jest/globals';
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
    const names = new KnownPeerNames({ resolve: async (name) => (name === 'member-2.lan' ? ['10.0.0.5'] : []) });
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
    const names = new KnownPeerNames({
      resolve: async () => {
        const answer = answers[lookups++]!;
        if (answer instanceof Error) throw answer;
        return answer;
      },
      now: () => clock.now,
    });
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
    const names = new KnownPeerNames({
      resolve: async (name) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await settle();
        inFlight--;
        return [`10.0.0.${name.slice(1)}`];
      },
    });
    const hosts = Array.from({ length: 10 }, (_, i) => `h${i + 1}`);
    names.addresses(hosts);
    for (let round = 0; round < 20; round++) await settle();
    expect(most).toBe(2);
    expect(names.addresses(hosts).size).toBe(10);
  });});

describe('known peer names whose lookup hangs', () => {
  /** getaddrinfo with a dead nameserver: a lookup that never ends, and holds its libuv thread meanwhile. */
  const never = (): Promise<string[]> => new Promise<string[]>(() => undefined);

  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('two lookups that never answer are given up on after 5 s, and the names queued behind them are looked up', async () => {
    const looked: string[] = [];
    const names = new KnownPeerNames({
      resolve: (name) => {
        looked.push(name);
        return name.startsWith('hangs') ? never() : Promise.resolve(['10.0.0.7']);
      },
      now: () => 0,
      warn: () => undefined,
    });
    const peers = ['hangs-1.lan', 'hangs-2.lan', 'peer.lan'];
    names.addresses(peers);
    await jest.advanceTimersByTimeAsync(4_999);
    expect(looked).toEqual(['hangs-1.lan', 'hangs-2.lan']);
    await jest.advanceTimersByTimeAsync(1);
    expect(looked).toEqual(['hangs-1.lan', 'hangs-2.lan', 'peer.lan']);
    expect(names.addresses(peers)).toEqual(new Set(['10.0.0.7']));
  });

  test('a name whose lookup hangs keeps the addresses it had', async () => {
    const clock = { now: 0 };
    let lookups = 0;
    const names = new KnownPeerNames({ resolve: () => (lookups++ === 0 ? Promise.resolve(['10.0.0.5']) : never()), now: () => clock.now, warn: () => undefined });
    names.addresses(['peer.lan']);
    await jest.advanceTimersByTimeAsync(0);
    clock.now = 61_000;
    names.addresses(['peer.lan']);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(lookups).toBe(2);
    expect(names.addresses(['peer.lan'])).toEqual(new Set(['10.0.0.5']));
  });

  test('no new lookup starts while hung ones hold three resolver threads, which is warned once; a hung name is not looked up again while its lookup runs', async () => {
    const clock = { now: 0 };
    const looked: string[] = [];
    const warnings: string[] = [];
    const names = new KnownPeerNames({
      resolve: (name) => {
        looked.push(name);
        return never();
      },
      now: () => clock.now,
      warn: (msg) => warnings.push(msg),
    });
    const peers = Array.from({ length: 6 }, (_, i) => `hangs-${i + 1}.lan`);
    for (let round = 0; round < 6; round++) {
      names.addresses(peers);
      await jest.advanceTimersByTimeAsync(5_000);
      clock.now += 61_000;
    }
    // Two at first; once both were given up on, one more (libuv's fourth thread is left to the state file's writes).
    expect(looked).toEqual(['hangs-1.lan', 'hangs-2.lan', 'hangs-3.lan']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/DNS lookups of peer names do not answer/);
  });

  test('a name dropped from the peers and back while its lookup is queued or running is looked up once', async () => {
    const looked: string[] = [];
    const answers: Array<(addresses: string[]) => void> = [];
    const names = new KnownPeerNames({
      resolve: (name) => {
        looked.push(name);
        return new Promise<string[]>((resolve) => answers.push(resolve));
      },
      now: () => 0,
      warn: () => undefined,
    });
    names.addresses(['a.lan', 'b.lan', 'c.lan']);
    // c.lan waits behind a.lan and b.lan; a.lan is running.
    names.addresses(['b.lan']);
    names.addresses(['a.lan', 'b.lan', 'c.lan']);
    for (const answer of answers.splice(0)) answer(['10.0.0.1']);
    await jest.advanceTimersByTimeAsync(0);
    for (const answer of answers.splice(0)) answer(['10.0.0.3']);
    await jest.advanceTimersByTimeAsync(0);
    expect(looked).toEqual(['a.lan', 'b.lan', 'c.lan']);
  });
});
