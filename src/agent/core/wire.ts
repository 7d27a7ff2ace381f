import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { Message, PacketHeader } from './types.js';
import { validateMessage } from './validate.js';

export type { PacketHeader } from './types.js';

/**
 * Wire format of every packet (UDP datagram or TCP frame body):
 *
 *   0  'G' 'A'       magic
 *   2  version (2)
 *   3  flags (0)
 *   4  sender epoch  u32 BE, grows on every start of the sender (see replay-window.ts)
 *   8  sequence      u32 BE, grows on every packet within an epoch
 *  12  sender nonce  u32 BE, random, drawn on every start of the sender (see guard.ts)
 *  16  echo          u32 BE, the receiver's nonce as the sender last heard it (0 = unknown)
 *  20  payload       JSON of the Message
 * -16  HMAC-SHA256 over everything before it, under the grid key, truncated to 128 bits
 */
export const WIRE_VERSION = 2;
const HEADER_BYTES = 20;
const MAC_BYTES = 16;
/** Bytes a packet adds around its JSON payload. */
export const WIRE_OVERHEAD = HEADER_BYTES + MAC_BYTES;
/** Largest datagram accepted; registry copies travel over TCP instead. */
export const MAX_DATAGRAM_BYTES = 16 * 1024;
/** Largest TCP frame accepted (a registry of a few thousand members). */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * The grid key as the MAC takes it: the raw bytes, or the KeyObject macKey() made once from them,
 * so that a packet's createHmac does not import the key again (Node 20 has no one-shot HMAC; the
 * gain measured within the noise of a loaded machine: docs/agent.md, Security, what forged
 * datagrams may cost).
 */
export type MacKey = Buffer | KeyObject;

/** The key object a long-lived sender or receiver keeps, so that no packet pays for importing the key. */
export function macKey(key: Buffer): KeyObject {
  return createSecretKey(key);
}

export type DecodeResult =
  | { ok: true; header: PacketHeader; message: Message }
  | { ok: false; reason: DropReason };

/** Why the decoder dropped a packet; each reason has its own counter in /metrics (the core adds `replayed`, `unvalidated`, ...). */
export type DropReason = 'oversized' | 'truncated' | 'badMagic' | 'badVersion' | 'badMac' | 'malformed';

export function encodePacket(message: Message, header: PacketHeader, key: MacKey): Buffer {
  const payload = Buffer.from(JSON.stringify(message), 'utf8');
  const packet = Buffer.alloc(HEADER_BYTES + payload.length + MAC_BYTES);
  packet[0] = 0x47;
  packet[1] = 0x41;
  packet[2] = WIRE_VERSION;
  packet[3] = 0;
  packet.writeUInt32BE(header.epoch >>> 0, 4);
  packet.writeUInt32BE(header.seq >>> 0, 8);
  packet.writeUInt32BE(header.nonce >>> 0, 12);
  packet.writeUInt32BE(header.echo >>> 0, 16);
  payload.copy(packet, HEADER_BYTES);
  mac(key, packet.subarray(0, HEADER_BYTES + payload.length)).copy(packet, HEADER_BYTES + payload.length);
  return packet;
}

/** Size encodePacket would produce, without hashing (the simulation counts bytes with it). */
export function encodedSize(message: Message): number {
  return WIRE_OVERHEAD + Buffer.byteLength(JSON.stringify(message), 'utf8');
}

/**
 * The checks that need no key and cost next to nothing (size, magic, version, a payload that is a
 * JSON object, as every message is): the reason to drop the packet, or null when only the MAC can
 * tell. A receiver runs them before deciding whether the packet's sender may spend a MAC check.
 */
export function precheckPacket(packet: Buffer, maxBytes: number = MAX_DATAGRAM_BYTES): DropReason | null {
  if (packet.length > maxBytes) return 'oversized';
  if (packet.length < HEADER_BYTES + MAC_BYTES + 2) return 'truncated';
  if (packet[0] !== 0x47 || packet[1] !== 0x41) return 'badMagic';
  if (packet[2] !== WIRE_VERSION) return 'badVersion';
  if (packet[HEADER_BYTES] !== OPEN_BRACE || packet[packet.length - MAC_BYTES - 1] !== CLOSE_BRACE) return 'malformed';
  return null;
}

/** Never throws: every malformed input maps to a drop reason. */
export function decodePacket(packet: Buffer, key: MacKey, maxBytes: number = MAX_DATAGRAM_BYTES): DecodeResult {
  const unfit = precheckPacket(packet, maxBytes);
  if (unfit !== null) return { ok: false, reason: unfit };
  const bodyEnd = packet.length - MAC_BYTES;
  const expected = mac(key, packet.subarray(0, bodyEnd));
  if (!timingSafeEqual(expected, packet.subarray(bodyEnd))) return { ok: false, reason: 'badMac' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(packet.subarray(HEADER_BYTES, bodyEnd).toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const message = validateMessage(parsed);
  if (message === null) return { ok: false, reason: 'malformed' };
  return { ok: true, header: { epoch: packet.readUInt32BE(4), seq: packet.readUInt32BE(8), nonce: packet.readUInt32BE(12), echo: packet.readUInt32BE(16) }, message };
}

function mac(key: MacKey, data: Buffer): Buffer {
  return createHmac('sha256', key).update(data).digest().subarray(0, MAC_BYTES);
}
