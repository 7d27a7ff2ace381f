import { createHmac } from 'node:crypto';
import { decodePacket, encodePacket, MAX_DATAGRAM_BYTES, MAX_FRAME_BYTES, WIRE_VERSION } from '../../src/agent/core/wire.js';
import { MAX_LABEL_KEY, MAX_LABEL_VALUE, MAX_LABELS } from '../../src/agent/core/validate.js';
import type { Message, RegistryEntryWire } from '../../src/agent/core/types.js';
import { readHostAttributes } from '../../src/agent/runtime/host-attributes.js';
import { SimNetwork, type WirePacket } from '../../src/agent/sim/network.js';
import { buildGrid } from '../../src/agent/sim/topology.js';

/**
 * What a peer holding the grid key may send (review: a compromised or buggy node must not crash the
 * others): every field that enters the registry is bounded, scalar where it should be, and finite, so
 * that whatever the registry copies into its next sync encodes again and passes the next validation.
 */
const key = Buffer.from('0123456789abcdef0123456789abcdef');
const header = { epoch: 1, seq: 1, nonce: 5, echo: 6 };

/** A packet around a raw JSON payload: what JSON.stringify cannot write (5,000 levels, 1e999) a peer still can. */
function rawPacket(json: string): Buffer {
  const payload = Buffer.from(json, 'utf8');
  const packet = Buffer.alloc(20 + payload.length + 16);
  packet.write('GA', 0, 'latin1');
  packet[2] = WIRE_VERSION;
  packet.writeUInt32BE(header.epoch, 4);
  packet.writeUInt32BE(header.seq, 8);
  packet.writeUInt32BE(header.nonce, 12);
  packet.writeUInt32BE(header.echo, 16);
  payload.copy(packet, 20);
  createHmac('sha256', key).update(packet.subarray(0, 20 + payload.length)).digest().subarray(0, 16).copy(packet, 20 + payload.length);
  return packet;
}

/** An object holding arrays `depth` levels deep, as text: two bytes a level. */
function nested(depth: number): string {
  return `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;
}

const attrs = { arch: 'x64', cores: 8, memoryMiB: 16_384, labels: { rack: 'r1' }, load: 0.42, uptimeSec: 7_200 };
const join: Message = { type: 'join', tier: 'subgrid', group: 'rennes-a', from: 'ra-02', to: 'ra-01', term: 4, incarnation: 1_764_950_000, attrsVersion: 2, eligible: true, score: 71.2, standing: 80, attrs };
const regionJoin: Message = { type: 'join', tier: 'region', group: 'eu-west', from: 'ra-01', to: 'rb-01', term: 3, slot: 'rennes-a', slotTerm: 4, incarnation: 1_764_950_000, attrsVersion: 1, eligible: true, score: 71.2, standing: 80, summary: { subgrid: 'rennes-a', members: 5 } };
const entry: RegistryEntryWire = { name: 'ra-02', addr: '10.0.0.2:7946', incarnation: 1_764_950_000, attrsVersion: 2, eligible: true, score: 71.2, standing: 80, attrs, liveness: 'alive' };
const regionEntry: RegistryEntryWire = { name: 'ra-01', addr: '10.0.0.1:7946', incarnation: 1_764_950_000, attrsVersion: 1, eligible: true, score: 71.2, summary: { subgrid: 'rennes-a', members: 5 }, liveness: 'alive' };
const view = { term: 3, version: 7, voters: [{ name: 'ra-01', addr: '10.0.0.1:7946', slot: 'rennes-a' }] };
const regionSync: Message = { type: 'sync', tier: 'region', group: 'eu-west', from: 'rb-01', to: 'ra-01', term: 3, slot: 'rennes-b', slotTerm: 2, view, registry: [regionEntry] };
const subgridSync: Message = { type: 'sync', tier: 'subgrid', group: 'rennes-a', from: 'ra-01', to: 'ra-02', term: 4, view: { term: 4, version: 9, voters: [{ name: 'ra-01' }] }, registry: [entry] };
const merge: Message = { type: 'merge', tier: 'subgrid', group: 'rennes-a', from: 'ra-03', to: 'ra-01', term: 5, registry: [entry] };

/** Decodes `message` with the field at `path` (e.g. registry, 0, attrs) replaced by the raw JSON `json`. */
function withRaw(message: Message, json: string, path: string[]): ReturnType<typeof decodePacket> {
  const marker = '"__RAW__"';
  const copy = JSON.parse(JSON.stringify(message)) as Record<string, unknown>;
  let target: Record<string, unknown> = copy;
  for (const step of path.slice(0, -1)) target = target[step] as Record<string, unknown>;
  target[path[path.length - 1]!] = '__RAW__';
  return decodePacket(rawPacket(JSON.stringify(copy).replace(marker, json)), key, MAX_FRAME_BYTES);
}

const malformed = { ok: false, reason: 'malformed' };

describe('message bounds: what enters the registry must encode again', () => {
  test('the examples decode as they are (the cases below differ from them in one field)', () => {
    for (const message of [join, regionJoin, regionSync, subgridSync, merge]) {
      expect(decodePacket(encodePacket(message, header, key), key, MAX_FRAME_BYTES)).toEqual({ ok: true, header, message });
    }
  });

  test('attrs nested 5,000 deep fit a datagram, but are malformed: in a join, in a registry entry of a sync or merge, inside labels', () => {
    const deep = nested(5_000);
    expect(deep.length + 200).toBeLessThan(MAX_DATAGRAM_BYTES);
    expect(decodePacket(rawPacket(JSON.stringify({ ...join, attrs: '__RAW__' }).replace('"__RAW__"', deep)), key)).toEqual(malformed);
    expect(withRaw(join, deep, ['attrs', 'labels'])).toEqual(malformed);
    expect(withRaw(join, deep, ['attrs', 'extra'])).toEqual(malformed);
    expect(withRaw(subgridSync, deep, ['registry', '0', 'attrs'])).toEqual(malformed);
    expect(withRaw(merge, deep, ['registry', '0', 'attrs'])).toEqual(malformed);
    expect(withRaw(regionJoin, deep, ['summary'])).toEqual(malformed);
    expect(withRaw(regionSync, deep, ['registry', '0', 'summary'])).toEqual(malformed);
  });

  test('attrs: each known field of its type, labels strings within bounds', () => {
    const bad: unknown[] = [
      null,
      [],
      'x64',
      {},
      { ...attrs, arch: 7 },
      { ...attrs, arch: 'x'.repeat(254) },
      { ...attrs, cores: -1 },
      { ...attrs, cores: 2.5 },
      { ...attrs, memoryMiB: '16384' },
      { ...attrs, uptimeSec: null },
      { ...attrs, load: 'high' },
      { ...attrs, labels: null },
      { ...attrs, labels: ['rack'] },
      { ...attrs, labels: { rack: 1 } },
      { ...attrs, labels: { rack: { a: 'b' } } },
      { ...attrs, labels: { rack: 'x'.repeat(MAX_LABEL_VALUE + 1) } },
      { ...attrs, labels: { ['k'.repeat(MAX_LABEL_KEY + 1)]: 'v' } },
      { ...attrs, labels: Object.fromEntries(Array.from({ length: MAX_LABELS + 1 }, (_, index) => [`l${index}`, 'v'])) },
      { ...attrs, later: { nested: true } },
      { ...attrs, later: [1] },
    ];
    for (const value of bad) {
      expect(decodePacket(encodePacket({ ...join, attrs: value } as unknown as Message, header, key), key, MAX_FRAME_BYTES)).toEqual(malformed);
      expect(decodePacket(encodePacket({ ...subgridSync, registry: [{ ...entry, attrs: value }] } as unknown as Message, header, key), key, MAX_FRAME_BYTES)).toEqual(malformed);
    }
    // The most a node may be configured with (config.ts takes the same bounds), and a scalar field
    // a later agent may add (a rolling upgrade), still decode.
    const widest = { ...attrs, labels: Object.fromEntries(Array.from({ length: MAX_LABELS }, (_, index) => [`${index}`.padStart(MAX_LABEL_KEY, 'k'), 'v'.repeat(MAX_LABEL_VALUE)])), later: 'x' };
    const widestJoin = { ...join, attrs: widest } as Message;
    expect(decodePacket(encodePacket(widestJoin, header, key), key, MAX_FRAME_BYTES)).toEqual({ ok: true, header, message: widestJoin });
    // A value of 256 characters as the topology counts them (code points), emoji included, is one a node may have.
    const emojiJoin = { ...join, attrs: { ...attrs, labels: { mood: '🙂'.repeat(MAX_LABEL_VALUE) } } } as Message;
    expect(decodePacket(encodePacket(emojiJoin, header, key), key, MAX_FRAME_BYTES)).toEqual({ ok: true, header, message: emojiJoin });
    expect(decodePacket(encodePacket({ ...join, attrs: { ...attrs, labels: { mood: '🙂'.repeat(MAX_LABEL_VALUE + 1) } } } as Message, header, key), key, MAX_FRAME_BYTES)).toEqual(malformed);
  });

  test('summary: null, {}, a non-numeric or negative member count, a bad sub-grid name are malformed (a region peer read null.subgrid)', () => {
    const bad: unknown[] = [null, {}, { members: 'x' }, { subgrid: 'rennes-a' }, { subgrid: 'rennes-a', members: 'x' }, { subgrid: 'rennes-a', members: -1 }, { subgrid: 'rennes-a', members: 1.5 }, { subgrid: '', members: 1 }, { subgrid: 'x'.repeat(254), members: 1 }, { subgrid: 7, members: 1 }, []];
    for (const value of bad) {
      expect(decodePacket(encodePacket({ ...regionSync, registry: [{ ...regionEntry, summary: value }] } as unknown as Message, header, key), key)).toEqual(malformed);
      expect(decodePacket(encodePacket({ ...regionJoin, summary: value } as unknown as Message, header, key), key)).toEqual(malformed);
      expect(decodePacket(encodePacket({ ...merge, tier: 'region', registry: [{ ...regionEntry, summary: value }] } as unknown as Message, header, key), key)).toEqual(malformed);
    }
  });

  test('a heartbeat member count goes into the summary: it is a count too', () => {
    const hb: Message = { type: 'hb', tier: 'region', group: 'eu-west', from: 'ra-01', to: 'rb-01', term: 3, incarnation: 1, attrsVersion: 1, load: 0.1, score: 50, members: 5, viewTerm: 3, viewVersion: 7 };
    expect(decodePacket(encodePacket(hb, header, key), key)).toEqual({ ok: true, header, message: hb });
    for (const members of [-1, 1.5]) expect(decodePacket(encodePacket({ ...hb, members }, header, key), key)).toEqual(malformed);
  });

  test('1e999 (Infinity once parsed, null once encoded again) is malformed in every number of a registry entry, a join and attrs', () => {
    for (const field of ['incarnation', 'attrsVersion', 'score', 'standing']) {
      expect(withRaw(subgridSync, '1e999', ['registry', '0', field])).toEqual(malformed);
      expect(withRaw(merge, '-1e999', ['registry', '0', field])).toEqual(malformed);
      expect(withRaw(join, '1e999', [field])).toEqual(malformed);
    }
    for (const field of ['cores', 'memoryMiB', 'load', 'uptimeSec']) expect(withRaw(join, '1e999', ['attrs', field])).toEqual(malformed);
    expect(withRaw(regionSync, '1e999', ['registry', '0', 'summary', 'members'])).toEqual(malformed);
    // Integers where the agent only sends integers.
    for (const field of ['incarnation', 'attrsVersion']) {
      expect(decodePacket(encodePacket({ ...subgridSync, registry: [{ ...entry, [field]: 1.5 }] } as unknown as Message, header, key), key)).toEqual(malformed);
      expect(decodePacket(encodePacket({ ...join, [field]: -1 } as unknown as Message, header, key), key)).toEqual(malformed);
    }
  });

  test("a view's term and version, and its region slot's, are counts: a negative one the core adopted would be persisted, and the state file check would stop every later start (exit 78)", () => {
    expect(decodePacket(encodePacket(subgridSync, header, key), key)).toMatchObject({ ok: true });
    const subgridView = (subgridSync as { view: object }).view;
    for (const field of ['term', 'version']) {
      expect(decodePacket(encodePacket({ ...subgridSync, view: { ...subgridView, [field]: -1 } } as unknown as Message, header, key), key)).toEqual(malformed);
      expect(decodePacket(encodePacket({ ...regionSync, view: { ...view, [field]: -1 } }, header, key), key)).toEqual(malformed);
    }
    const slotView = (slot: unknown) => ({ ...subgridSync, view: { ...subgridView, regionSlot: slot } }) as unknown as Message;
    expect(decodePacket(encodePacket(slotView({ term: 2, votedFor: null, view }), header, key), key)).toMatchObject({ ok: true });
    expect(decodePacket(encodePacket(slotView({ term: -2, votedFor: null, view }), header, key), key)).toEqual(malformed);
    expect(decodePacket(encodePacket(slotView({ term: 2, votedFor: null, view: { ...view, term: -3 } }), header, key), key)).toEqual(malformed);
  });

  test('registry entry names and addresses are bounded strings', () => {
    for (const bad of [{ name: '' }, { name: 'x'.repeat(254) }, { addr: 7 }, { addr: 'x'.repeat(300) }]) {
      expect(decodePacket(encodePacket({ ...subgridSync, registry: [{ ...entry, ...bad }] } as unknown as Message, header, key), key)).toEqual(malformed);
    }
  });

  test('a slot is a name: at most 253 characters, not empty, in the envelope and in a view', () => {
    expect(decodePacket(encodePacket({ ...regionSync, slot: 's'.repeat(253) }, header, key), key)).toMatchObject({ ok: true });
    for (const slot of ['s'.repeat(254), 's'.repeat(10_000), '']) {
      expect(decodePacket(encodePacket({ ...regionSync, slot }, header, key), key)).toEqual(malformed);
      expect(decodePacket(encodePacket({ ...regionSync, view: { ...view, voters: [{ ...view.voters[0]!, slot }] } }, header, key), key)).toEqual(malformed);
      expect(decodePacket(encodePacket({ type: 'leave', tier: 'region', group: 'eu-west', from: 'ra-01', term: 3, incarnation: 1, forGood: true, slotEnds: slot }, header, key), key)).toEqual(malformed);
    }
  });

  test('what real agents send decodes: every packet of a simulated 2-region grid, with labels and host attributes, round-trips through the wire', () => {
    const grid = buildGrid({ regions: 2, subgridsPerRegion: 3, nodesPerSubgrid: 3, seed: 5, neverFraction: 0 });
    const host = readHostAttributes({ rack: 'r1', 'example.org/zone': 'z'.repeat(MAX_LABEL_VALUE) });
    for (const spec of grid.specs) spec.settings.attrs = { ...host, cores: spec.settings.attrs.cores };
    const network = new SimNetwork(grid.specs, { seed: 5, dns: grid.dns });
    const seen = new Map<string, number>();
    const failures: string[] = [];
    network.onWire((wire: WirePacket) => {
      const message = wire.packet.message;
      const kind = `${message.tier}:${message.type}${message.type === 'sync' && message.registry ? '+registry' : ''}${message.type === 'join' && message.attrs ? '+attrs' : ''}${message.type === 'join' && message.summary ? '+summary' : ''}`;
      seen.set(kind, (seen.get(kind) ?? 0) + 1);
      const decoded = decodePacket(encodePacket(message, header, key), key, MAX_FRAME_BYTES);
      if (!decoded.ok || JSON.stringify(decoded.message) !== JSON.stringify(message)) failures.push(`${kind}: ${JSON.stringify(message).slice(0, 300)}`);
    });
    network.startAll();
    network.runUntil(20_000);
    expect(failures.slice(0, 3)).toEqual([]);
    for (const kind of ['subgrid:join+attrs', 'subgrid:sync+registry', 'region:join+summary', 'region:sync+registry', 'region:hb', 'region:peerSummary']) {
      expect({ kind, seen: (seen.get(kind) ?? 0) > 0 }).toEqual({ kind, seen: true });
    }
  });
});
