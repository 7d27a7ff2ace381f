import { decodePacket, encodePacket, encodedSize, macKey, MAX_DATAGRAM_BYTES, MAX_FRAME_BYTES, precheckPacket } from '../../src/agent/core/wire.js';
import { MAX_DEPARTED } from '../../src/agent/core/group/departed.js';
import { MAX_DEPARTED_DECODED } from '../../src/agent/core/validate.js';
import { ReplayWindow } from '../../src/agent/core/replay-window.js';
import { seededRandom } from '../../src/agent/core/prng.js';
import type { Message } from '../../src/agent/core/types.js';

const key = Buffer.from('0123456789abcdef0123456789abcdef');
const heartbeat: Message = {
  type: 'hb',
  tier: 'subgrid',
  group: 'rennes-a',
  from: 'ra-01',
  to: 'ra-03',
  term: 4,
  incarnation: 7,
  attrsVersion: 1,
  load: 0.42,
  score: 71.2,
  viewTerm: 4,
  viewVersion: 9,
};

describe('wire format', () => {
  test('round-trips a message and reports its exact size', () => {
    const packet = encodePacket(heartbeat, { epoch: 12, seq: 3, nonce: 0xdeadbeef, echo: 77 }, key);
    expect(packet.length).toBe(encodedSize(heartbeat));
    const decoded = decodePacket(packet, key);
    expect(decoded).toEqual({ ok: true, header: { epoch: 12, seq: 3, nonce: 0xdeadbeef, echo: 77 }, message: heartbeat });
  });

  test('a heartbeat stays small (the 1 KB/s budget rests on it)', () => {
    expect(encodedSize(heartbeat)).toBeLessThan(250);
  });

  test('a region summary for 10 sub-grids fits one small datagram; bad super-peer entries are malformed', () => {
    const summary: Message = {
      type: 'peerSummary',
      tier: 'region',
      group: 'eu-west',
      from: 'ra-01',
      to: 'ub-07',
      term: 3,
      addr: '10.0.1.11:7946',
      superPeers: Array.from({ length: 10 }, (_, index) => ({ name: `eu-west-s${index}-n07`, subgrid: `eu-west-s${index}`, members: 52 })),
      nodes: 520,
      reply: false,
      knows: 'ub-07',
    };
    expect(encodedSize(summary)).toBeLessThan(1_000);
    expect(decodePacket(encodePacket(summary, { epoch: 1, seq: 1, nonce: 5, echo: 6 }, key), key)).toMatchObject({ ok: true, message: summary });
    const forge = (payload: unknown): Buffer => encodePacket(payload as Message, { epoch: 1, seq: 1, nonce: 5, echo: 6 }, key);
    expect(decodePacket(forge({ ...summary, superPeers: [{ name: 'x', subgrid: 'y', members: -1 }] }), key)).toMatchObject({ ok: false, reason: 'malformed' });
    expect(decodePacket(forge({ ...summary, superPeers: [{ name: 'x' }] }), key)).toMatchObject({ ok: false, reason: 'malformed' });
    expect(decodePacket(forge({ ...summary, nodes: 1.5 }), key)).toMatchObject({ ok: false, reason: 'malformed' });
  });

  test('a sync carries the names that left for good: a full list of 40-character names fits a datagram, of the longest names a TCP frame; an older sync without it decodes; bad entries are malformed', () => {
    const view = { term: 4, version: 9, voters: Array.from({ length: 5 }, (_, index) => ({ name: `ra-0${index}`, addr: `10.0.0.${index}:7946` })) };
    const departed = [
      { name: 'ra-07', agoMs: 1_200, incarnation: 1_764_950_000 },
      { name: 'rennes-b', agoMs: 300, incarnation: 1_764_950_001, holder: 'rb-02' },
    ];
    const sync: Message = { type: 'sync', tier: 'subgrid', group: 'rennes-a', from: 'ra-01', to: 'ra-03', term: 4, view, departed };
    const header = { epoch: 1, seq: 1, nonce: 5, echo: 6 };
    expect(decodePacket(encodePacket(sync, header, key), key)).toEqual({ ok: true, header, message: sync });
    // The most this version sends: MAX_DEPARTED names and the leader's own, within what a decoder takes.
    expect(MAX_DEPARTED + 1).toBeLessThanOrEqual(MAX_DEPARTED_DECODED);
    const full = (length: number, slots: boolean) =>
      Array.from({ length: MAX_DEPARTED + 1 }, (_, index) => ({ name: `${index}`.padStart(length, 'n'), agoMs: 599_900, incarnation: 1_764_950_000, ...(slots ? { holder: `${index}`.padStart(length, 'h') } : {}) }));
    // A sub-grid's members of 40-character names (a node's FQDN) go as a datagram; the longest a name
    // may have, slots with their holders, over TCP, as a registry copy does (transport.ts).
    expect(encodedSize({ ...sync, departed: full(40, false) })).toBeLessThan(MAX_DATAGRAM_BYTES);
    // Region slots carry two names each (the slot and the holder that gave it up): 128 of 40
    // characters are over a datagram, and go over TCP (transport.ts sends any oversized packet so);
    // of 25 characters they still fit.
    expect(encodedSize({ ...sync, tier: 'region', departed: full(40, true) })).toBeGreaterThan(MAX_DATAGRAM_BYTES);
    expect(encodedSize({ ...sync, tier: 'region', departed: full(25, true) })).toBeLessThan(MAX_DATAGRAM_BYTES);
    const longest = { ...sync, departed: full(253, true) };
    expect(encodedSize(longest)).toBeLessThan(MAX_FRAME_BYTES);
    expect(decodePacket(encodePacket(longest, header, key), key, MAX_FRAME_BYTES)).toMatchObject({ ok: true, message: longest });
    // Mixed versions in a rolling upgrade: an older agent's sync has no list, and a field this version does not know is ignored.
    const { departed: _departed, ...older } = sync;
    expect(decodePacket(encodePacket(older, header, key), key)).toMatchObject({ ok: true, message: older });
    expect(decodePacket(encodePacket({ ...sync, later: [1, 2] } as unknown as Message, header, key), key)).toMatchObject({ ok: true });
    const forge = (entries: unknown): Buffer => encodePacket({ ...sync, departed: entries } as unknown as Message, header, key);
    const good = { name: 'ra-07', agoMs: 1, incarnation: 3 };
    for (const bad of [
      'ra-07',
      [{ name: 'ra-07' }],
      [{ name: 'ra-07', agoMs: 1 }],
      [{ ...good, name: '' }],
      [{ ...good, agoMs: -1 }],
      [{ ...good, agoMs: 1.5 }],
      [{ ...good, incarnation: -1 }],
      [{ ...good, incarnation: 0.5 }],
      [{ ...good, holder: '' }],
      [{ ...good, holder: 7 }],
      [{ ...good, name: 'x'.repeat(254) }],
      Array.from({ length: MAX_DEPARTED_DECODED + 1 }, () => good),
    ]) {
      expect(decodePacket(forge(bad), key, MAX_FRAME_BYTES)).toMatchObject({ ok: false, reason: 'malformed' });
    }
  });

  test('rejects a packet under another key, a flipped bit, a bad magic, an oversized datagram', () => {
    const packet = encodePacket(heartbeat, { epoch: 1, seq: 1, nonce: 5, echo: 6 }, key);
    expect(decodePacket(packet, Buffer.from('another key, same length.........'))).toEqual({ ok: false, reason: 'badMac' });
    const flipped = Buffer.from(packet);
    flipped[21] = flipped[21]! ^ 1;
    expect(decodePacket(flipped, key)).toEqual({ ok: false, reason: 'badMac' });
    // A payload that is not even a JSON object is malformed before any MAC is computed (precheckPacket).
    const notAnObject = Buffer.from(packet);
    notAnObject[20] = notAnObject[20]! ^ 1;
    expect(precheckPacket(notAnObject)).toBe('malformed');
    expect(decodePacket(notAnObject, key)).toEqual({ ok: false, reason: 'malformed' });
    const magic = Buffer.from(packet);
    magic[0] = 0;
    expect(decodePacket(magic, key)).toEqual({ ok: false, reason: 'badMagic' });
    expect(decodePacket(Buffer.alloc(MAX_DATAGRAM_BYTES + 1), key)).toEqual({ ok: false, reason: 'oversized' });
    expect(decodePacket(Buffer.alloc(5), key)).toEqual({ ok: false, reason: 'truncated' });
    // A version-1 packet (12-byte header, no nonce or echo) from an agent not yet upgraded.
    const v1 = Buffer.from(packet);
    v1[2] = 1;
    expect(decodePacket(v1, key)).toEqual({ ok: false, reason: 'badVersion' });
  });

  test('a key object made once (what the transport keeps) signs and checks as the raw key does', () => {
    const packet = encodePacket(heartbeat, { epoch: 1, seq: 1, nonce: 5, echo: 6 }, macKey(key));
    expect(packet).toEqual(encodePacket(heartbeat, { epoch: 1, seq: 1, nonce: 5, echo: 6 }, key));
    expect(decodePacket(packet, macKey(key))).toMatchObject({ ok: true, message: heartbeat });
    expect(decodePacket(packet, macKey(Buffer.from('another key, same length.........')))).toEqual({ ok: false, reason: 'badMac' });
  });

  test('the nonce and echo are covered by the MAC', () => {
    const packet = encodePacket(heartbeat, { epoch: 1, seq: 1, nonce: 5, echo: 6 }, key);
    for (const offset of [12, 15, 16, 19]) {
      const forged = Buffer.from(packet);
      forged[offset] = forged[offset]! ^ 0x80;
      expect(decodePacket(forged, key)).toEqual({ ok: false, reason: 'badMac' });
    }
  });

  test('authenticated but malformed payloads are dropped, not trusted', () => {
    const forge = (payload: unknown): Buffer => encodePacket(payload as Message, { epoch: 1, seq: 1, nonce: 5, echo: 6 }, key);
    expect(decodePacket(forge({ ...heartbeat, term: -1 }), key)).toEqual({ ok: false, reason: 'malformed' });
    expect(decodePacket(forge({ ...heartbeat, type: 'nope' }), key)).toEqual({ ok: false, reason: 'malformed' });
    expect(decodePacket(forge({ ...heartbeat, load: 'high' }), key)).toEqual({ ok: false, reason: 'malformed' });
    expect(decodePacket(forge([1, 2, 3]), key)).toEqual({ ok: false, reason: 'malformed' });
    expect(decodePacket(forge({ type: 'sync', tier: 'subgrid', group: 'g', from: 'a', term: 1, view: { term: 1, version: 1, voters: 'x' } }), key)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  test('fuzz: 20000 random and mutated packets never throw and never pass as a different message', () => {
    const random = seededRandom(99);
    const valid = encodePacket(heartbeat, { epoch: 1, seq: 1, nonce: 5, echo: 6 }, key);
    const reasons = new Map<string, number>();
    for (let round = 0; round < 20_000; round++) {
      let packet: Buffer;
      if (round % 2 === 0) {
        packet = Buffer.alloc(Math.floor(random.next() * 300));
        for (let index = 0; index < packet.length; index++) packet[index] = Math.floor(random.next() * 256);
        if (round % 4 === 0 && packet.length > 3) packet.write('GA\x01', 0, 'latin1');
      } else {
        packet = Buffer.from(valid);
        const flips = 1 + Math.floor(random.next() * 4);
        for (let flip = 0; flip < flips; flip++) packet[Math.floor(random.next() * packet.length)] = Math.floor(random.next() * 256);
        if (random.next() < 0.3) packet = packet.subarray(0, Math.floor(random.next() * packet.length));
      }
      const result = decodePacket(packet, key);
      if (result.ok) {
        expect(result.message).toEqual(heartbeat);
      } else {
        reasons.set(result.reason, (reasons.get(result.reason) ?? 0) + 1);
      }
    }
    expect(reasons.get('badMac')).toBeGreaterThan(1000);
  });
});

describe('ReplayWindow', () => {
  test('accepts fresh packets, rejects exact replays and older epochs, tolerates reordering', () => {
    const window = new ReplayWindow(64);
    expect(window.accept('a', 5, 1)).toBe(true);
    expect(window.accept('a', 5, 1)).toBe(false);
    expect(window.accept('a', 5, 3)).toBe(true);
    expect(window.accept('a', 5, 2)).toBe(true);
    expect(window.accept('a', 5, 2)).toBe(false);
    expect(window.accept('a', 4, 100)).toBe(false);
    expect(window.accept('a', 6, 1)).toBe(true);
    expect(window.accept('a', 5, 50)).toBe(false);
  });

  test('packets older than the window are rejected', () => {
    const window = new ReplayWindow(64);
    for (let seq = 1; seq <= 200; seq++) expect(window.accept('a', 1, seq)).toBe(true);
    expect(window.accept('a', 1, 100)).toBe(false);
    expect(window.accept('a', 1, 190)).toBe(false);
  });
});
