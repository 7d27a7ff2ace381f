import { PacketGuard } from '../../src/agent/core/guard.js';
import type { Message, Outbound, Packet } from '../../src/agent/core/types.js';
import { validateMessage } from '../../src/agent/core/validate.js';

/**
 * A node re-added under a name with no state file starts at its host's clock in seconds, which may
 * be below the epoch its peers hold for the name (state-file.ts, nextEpoch): each of its packets is
 * then a replay to them. The peer's challenge names the epoch it holds; the node moves above it.
 */

const hb = (from: string, to: string): Outbound => ({
  dest: { kind: 'node', name: to },
  message: { type: 'hb', tier: 'subgrid', group: 'g', from, to, term: 1, incarnation: 1, attrsVersion: 1, load: 0, score: 1, viewTerm: 1, viewVersion: 1 } as Message,
});

const sent = (guard: PacketGuard, out: Outbound): Packet => {
  const { header, message } = guard.stamp(out);
  return { header, message };
};

function challengeOf(receiver: PacketGuard, packet: Packet): Extract<Message, { type: 'challenge' }> {
  const verdict = receiver.inspect(packet);
  expect(verdict).toEqual({ ok: false, reason: 'replayed', staleEpoch: 60 });
  const challenge = receiver.challenge(packet, undefined, verdict.ok ? undefined : verdict.reason === 'replayed' ? verdict.staleEpoch : undefined);
  expect(challenge).not.toBeNull();
  return challenge!.message as Extract<Message, { type: 'challenge' }>;
}

describe('a sender whose epoch is below the one its peer holds for its name', () => {
  test('the peer drops its packet as stale, challenges it naming the epoch it holds, and the sender moves above it (to disk too)', () => {
    const peer = new PacketGuard({ self: 'r', epoch: 100, nonce: 7 });
    const earlier = new PacketGuard({ self: 's', epoch: 60, nonce: 9 });
    expect(peer.inspect(sent(earlier, hb('s', 'r'))).ok).toBe(false); // unvalidated: no echo yet, but heard
    const readded = new PacketGuard({ self: 's', epoch: 50, nonce: 11 });
    const challenge = challengeOf(peer, sent(readded, hb('s', 'r')));
    expect(challenge).toMatchObject({ type: 'challenge', forEpoch: 50, aboveEpoch: 60 });
    expect(validateMessage(JSON.parse(JSON.stringify(challenge)))).not.toBeNull();

    const challengePacket = sent(peer, { dest: { kind: 'node', name: 's' }, message: challenge });
    expect(readded.inspect(challengePacket)).toEqual({ ok: true, validated: false });
    expect(readded.answerChallenge(challenge, undefined)).toBeNull();
    expect(readded.takeEpochToPersist()).toBe(61);

    const after = sent(readded, hb('s', 'r'));
    expect(after.header.epoch).toBe(61);
    const verdict = peer.inspect(after);
    expect(verdict.ok === false && verdict.reason).not.toBe('replayed');
  });

  test('a second copy within the newest epoch is a replay with no epoch to name (no challenge for it)', () => {
    const peer = new PacketGuard({ self: 'r', epoch: 100, nonce: 7 });
    const sender = new PacketGuard({ self: 's', epoch: 60, nonce: 9 });
    const packet = sent(sender, hb('s', 'r'));
    peer.inspect(packet);
    expect(peer.inspect(packet)).toEqual({ ok: false, reason: 'replayed' });
  });

  test('a challenge naming another epoch of the sender (captured before) does not move it, nor does one naming an epoch below its own or near the last one', () => {
    const sender = new PacketGuard({ self: 's', epoch: 50, nonce: 11 });
    const base = { type: 'challenge', tier: 'subgrid', group: 'g', from: 'r', to: 's', term: 0, forSeq: 1 } as const;
    expect(sender.answerChallenge({ ...base, forEpoch: 49, aboveEpoch: 80 }, undefined)).toBeNull();
    expect(sender.answerChallenge({ ...base, forEpoch: 50, aboveEpoch: 40 }, undefined)).toBeNull();
    expect(sender.answerChallenge({ ...base, forEpoch: 50, aboveEpoch: 0xffffffff }, undefined)).toBeNull();
    // Nor near the end, where the next starts would wrap the epoch to 0 (below what every peer holds).
    expect(sender.answerChallenge({ ...base, forEpoch: 50, aboveEpoch: 0xfffffffe }, undefined)).toBeNull();
    expect(sender.answerChallenge({ ...base, forEpoch: 50, aboveEpoch: 0xffffffff - 0x10000 }, undefined)).toBeNull();
    expect(sender.takeEpochToPersist()).toBeNull();
    expect(sent(sender, hb('s', 'r')).header.epoch).toBe(50);
  });

  test('a challenge whose epoch is not a u32 is malformed', () => {
    const base = { type: 'challenge', tier: 'subgrid', group: 'g', from: 'r', to: 's', term: 0, forEpoch: 1, forSeq: 1 };
    for (const aboveEpoch of [-1, 1.5, 2 ** 32, '7']) expect(validateMessage({ ...base, aboveEpoch })).toBeNull();
    expect(validateMessage({ ...base, aboveEpoch: 7 })).not.toBeNull();
    expect(validateMessage(base)).not.toBeNull();
  });
});
