import { jest } from '@jest/globals';
import { decodePacket, encodePacket, type DecodeResult } from '../../src/agent/core/wire.js';
import type { Message } from '../../src/agent/core/types.js';
import { DatagramIntake, DEFAULT_DATAGRAM_LIMITS, type DatagramDrop, type DatagramLimits } from '../../src/agent/runtime/datagram-intake.js';
import { BadMacSources } from '../../src/agent/runtime/bad-mac-sources.js';
import { sourcePrefix } from '../../src/agent/runtime/source-prefix.js';

// 1M table updates take some 9 s on the loaded 2-core machine.
jest.setTimeout(60_000);

const key = Buffer.from('0123456789abcdef0123456789abcdef');
const heartbeat: Message = { type: 'hb', tier: 'subgrid', group: 'g', from: 'member-2', to: 'leader', term: 4, incarnation: 7, attrsVersion: 1, load: 0.1, score: 50, viewTerm: 4, viewVersion: 9 };
const discover: Message = { type: 'discover', tier: 'subgrid', group: 'g', from: 'newcomer', term: 0, fresh: true, eligible: true, score: 40 };

/** What a keyless attacker who read the wire format sends: magic, version 2, a JSON-looking body, 16 bytes of guessed MAC. */
function forged(bytes = 60): Buffer {
  const packet = Buffer.alloc(bytes, 0x61);
  packet.write('GA\x02\x00', 0, 'latin1');
  packet[20] = 0x7b; // '{'
  packet[bytes - 17] = 0x7d; // '}'
  return packet;
}

/** An intake whose MAC checks are counted, on a clock the test moves. */
function intakeWith(limits: Partial<DatagramLimits> = {}) {
  const clock = { now: 0 };
  let macChecks = 0;
  const delivered: string[] = [];
  const drops = new Map<string, number>();
  const intake = new DatagramIntake(
    { ...DEFAULT_DATAGRAM_LIMITS, ...limits },
    (packet): DecodeResult => {
      macChecks++;
      return decodePacket(packet, key);
    },
    (packet, fromAddr) => void delivered.push(`${packet.message.from}@${fromAddr}`),
    (reason: string) => void drops.set(reason, (drops.get(reason) ?? 0) + 1),
    () => clock.now,
  );
  return { intake, clock, delivered, drops, macChecks: () => macChecks };
}

describe('the datagram intake: what forged datagrams may cost', () => {
  test('100k forged "GA\\x02" datagrams from one address cost a handful of MAC checks; a known peer and a newcomer in the same burst still get in', () => {
    const { intake, clock, delivered, drops, macChecks } = intakeWith();
    intake.setKnownPeers(['10.0.0.2']);
    const fromPeer = encodePacket(heartbeat, { epoch: 1, seq: 1, nonce: 1, echo: 0 }, key);
    const fromNewcomer = encodePacket(discover, { epoch: 1, seq: 1, nonce: 2, echo: 0 }, key);
    const junk = forged();
    for (let index = 0; index < 100_000; index++) {
      clock.now = index / 100; // 100,000 datagrams a second, for one second
      intake.receive(junk, '10.0.0.66', 7946);
      if (index === 50_000) intake.receive(fromPeer, '10.0.0.2', 7946);
      if (index === 70_000) intake.receive(fromNewcomer, '10.0.0.9', 7946);
    }
    expect(delivered).toEqual(['member-2@10.0.0.2:7946', 'newcomer@10.0.0.9:7946']);
    // The attacker's address earns its cooldown after a few failures, and one more check each cooldown.
    expect(macChecks()).toBeLessThanOrEqual(DEFAULT_DATAGRAM_LIMITS.failuresBeforeCooldown + 2 + 2);
    expect(drops.get('sourceCoolingDown')).toBeGreaterThan(99_000);
  });

  test('a flood from 100k distinct addresses is held to the MAC budget; a known peer is checked regardless', () => {
    const limits = DEFAULT_DATAGRAM_LIMITS;
    const { intake, clock, delivered, drops, macChecks } = intakeWith();
    intake.setKnownPeers(['10.0.0.2']);
    const fromPeer = encodePacket(heartbeat, { epoch: 1, seq: 1, nonce: 1, echo: 0 }, key);
    const junk = forged();
    for (let index = 0; index < 100_000; index++) {
      clock.now = index / 100;
      intake.receive(junk, `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`, 40_000);
      if (index % 10_000 === 0) intake.receive(fromPeer, '10.0.0.2', 7946);
    }
    const checkCost = limits.macCheckOverheadBytes + junk.length;
    const budgetChecks = (limits.burstBytes + limits.bytesPerSecond * 1) / checkCost;
    expect(macChecks()).toBeLessThanOrEqual(Math.ceil(budgetChecks) + 10);
    expect(macChecks()).toBeGreaterThan(budgetChecks / 2);
    expect(drops.get('macBudget')).toBeGreaterThan(50_000);
    expect(delivered.filter((entry) => entry.startsWith('member-2@'))).toHaveLength(10);
  });

  test('with no attack a newcomer is checked at once, and its address is not cooled down by its own good packets', () => {
    const { intake, delivered, macChecks } = intakeWith();
    for (let seq = 1; seq <= 20; seq++) intake.receive(encodePacket(discover, { epoch: 1, seq, nonce: 2, echo: 0 }, key), '192.168.1.40', 7946);
    expect(delivered).toHaveLength(20);
    expect(macChecks()).toBe(20);
  });

  test('junk that is not even shaped like a packet costs no MAC check, whoever sends it', () => {
    const { intake, drops, macChecks } = intakeWith();
    intake.setKnownPeers(['10.0.0.2']);
    intake.receive(Buffer.from('random bytes, not a packet at all, long enough to be one..'), '10.0.0.2', 1);
    const notAnObject = forged();
    notAnObject[20] = 0x5b; // '['
    intake.receive(notAnObject, '10.0.0.66', 1);
    expect(macChecks()).toBe(0);
    expect([...drops.keys()].sort()).toEqual(['badMagic', 'malformed']);
  });

  test('a cooled-down address is checked again after its cooldown, and a good packet from it is delivered then', () => {
    const limits = DEFAULT_DATAGRAM_LIMITS;
    const { intake, clock, delivered, macChecks } = intakeWith();
    for (let index = 0; index < 100; index++) intake.receive(forged(), '10.0.0.7', 1);
    expect(macChecks()).toBe(limits.failuresBeforeCooldown);
    clock.now = limits.cooldownMs + 1;
    intake.receive(encodePacket(discover, { epoch: 1, seq: 1, nonce: 2, echo: 0 }, key), '10.0.0.7', 1);
    expect(delivered).toEqual(['newcomer@10.0.0.7:1']);
  });

  test('a node still on the old key after a key rotation gets in within 2 s of switching to the new one', () => {
    const { intake, clock, delivered } = intakeWith();
    const oldKey = Buffer.from('fedcba9876543210fedcba9876543210');
    // Unknown to the restarted super peer, it heartbeats once a second on the old key for 30 s...
    for (let second = 0; second < 30; second++) {
      clock.now = second * 1000;
      intake.receive(encodePacket(heartbeat, { epoch: 1, seq: second + 1, nonce: 1, echo: 0 }, oldKey), '10.0.0.5', 7946);
    }
    // ...then restarts on the new key and sends a discover every 500 ms.
    let acceptedAt: number | null = null;
    for (let ms = 30_000; ms <= 40_000 && acceptedAt === null; ms += 500) {
      clock.now = ms;
      intake.receive(encodePacket(discover, { epoch: 2, seq: ms, nonce: 3, echo: 0 }, key), '10.0.0.5', 7946);
      if (delivered.length > 0) acceptedAt = ms;
    }
    expect(acceptedAt).not.toBeNull();
    expect(acceptedAt! - 30_000).toBeLessThanOrEqual(2000);
  });

  test('failures long past do not count: 3 failures a minute ago and 1 now leave the source checked', () => {
    const { intake, clock, delivered } = intakeWith();
    for (let index = 0; index < 3; index++) intake.receive(forged(), '10.0.0.8', 1);
    clock.now = 60_000;
    intake.receive(forged(), '10.0.0.8', 1);
    clock.now = 60_100;
    intake.receive(encodePacket(discover, { epoch: 1, seq: 1, nonce: 2, echo: 0 }, key), '10.0.0.8', 1);
    expect(delivered).toEqual(['newcomer@10.0.0.8:1']);
  });

  test('one address flooding forgeries for 20 s costs less than one MAC check a second after its first failures', () => {
    const limits = DEFAULT_DATAGRAM_LIMITS;
    const { intake, clock, macChecks } = intakeWith();
    for (let index = 0; index < 200_000; index++) {
      clock.now = index / 10; // 10,000 datagrams a second
      intake.receive(forged(), '10.0.0.66', 1);
    }
    expect(macChecks()).toBeLessThan(limits.failuresBeforeCooldown + 20);
  });

  test('replaying a captured good packet does not clear an address\'s failures: 3 forgeries and 1 replay, over and over, cost a handful of checks', () => {
    const limits = DEFAULT_DATAGRAM_LIMITS;
    const { intake, clock, macChecks } = intakeWith();
    const captured = encodePacket(discover, { epoch: 1, seq: 1, nonce: 2, echo: 0 }, key);
    for (let round = 0; round < 10_000; round++) {
      clock.now = round / 10; // 1 s in all
      for (let index = 0; index < 3; index++) intake.receive(forged(), '10.0.0.66', 1);
      intake.receive(captured, '10.0.0.66', 1);
    }
    expect(macChecks()).toBeLessThanOrEqual(limits.failuresBeforeCooldown + 2);
  });
});

describe('the table of failing source addresses', () => {
  test('stays within its capacity under 1M distinct source addresses', () => {
    const table = new BadMacSources({ capacity: 4096, failuresBeforeCooldown: 4, cooldownMs: 2_000, failureWindowMs: 10_000 });
    for (let index = 0; index < 1_000_000; index++) table.failed(`${(index >>> 24) & 255}.${(index >>> 16) & 255}.${(index >>> 8) & 255}.${index & 255}`, index);
    expect(table.size).toBeLessThanOrEqual(4096);
  });

  test('keys IPv4 sources by /32 and IPv6 sources by /64 (an IPv4-mapped address as its IPv4)', () => {
    expect(sourcePrefix('10.1.2.3')).toBe('10.1.2.3');
    expect(sourcePrefix('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(sourcePrefix('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(sourcePrefix('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(sourcePrefix('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(sourcePrefix('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });
});
