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

  test('a cooled-down address is checked again after its cooldown, and forgotten once it sends a good packet', () => {
    const limits = DEFAULT_DATAGRAM_LIMITS;
    const { intake, clock, delivered, macChecks } = intakeWith();
    for (let index = 0; index < 100; index++) intake.receive(forged(), '10.0.0.7', 1);
    expect(macChecks()).toBe(limits.failuresBeforeCooldown);
    clock.now = limits.cooldownMs + 1;
    intake.receive(encodePacket(discover, { epoch: 1, seq: 1, nonce: 2, echo: 0 }, key), '10.0.0.7', 1);
    expect(delivered).toEqual(['newcomer@10.0.0.7:1']);
  });
});

describe('the table of failing source addresses', () => {
  test('stays within its capacity under 1M distinct source addresses', () => {
    const table = new BadMacSources({ capacity: 4096, failuresBeforeCooldown: 4, cooldownMs: 10_000 });
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
