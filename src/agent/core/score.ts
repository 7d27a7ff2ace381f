import type { NodeAttributes, SuperPeerPreference } from './types.js';

/**
 * Availability score of a machine: higher means a better super peer.
 * Capacity grows with the logarithm of cores and memory (a 64-core box is not 64 times better
 * at running a registry), is discounted by current load, and a node that has just booted is
 * trusted less than one that has stayed up for an hour, because flapping nodes make bad leaders.
 */
export function availabilityScore(attrs: Pick<NodeAttributes, 'cores' | 'memoryMiB' | 'load' | 'uptimeSec'>): number {
  const cores = Math.max(0, attrs.cores);
  const memoryGiB = Math.max(0, attrs.memoryMiB) / 1024;
  const capacity = 20 * Math.log2(1 + cores) + 10 * Math.log2(1 + memoryGiB);
  const freeFraction = cores > 0 ? clamp(1 - Math.max(0, attrs.load) / cores, 0, 1) : 0;
  const stability = clamp(Math.max(0, attrs.uptimeSec) / 3600, 0, 1);
  const score = capacity * (0.5 + 0.5 * freeFraction) * (0.7 + 0.3 * stability);
  return Math.round(score * 10) / 10;
}

/**
 * `superPeer: prefer` multiplies a node's score by this. It exceeds the default hysteresis
 * (25 %), so a preferred node of comparable hardware wins the first election and, once up,
 * takes the role over from a healthy non-preferred super peer; a much weaker machine still
 * does not: it is a preference, not an override.
 */
export const PREFER_SCORE_FACTOR = 1.5;

/** The score a node announces: its availability, raised when the operator prefers it. */
export function announcedScore(attrs: Pick<NodeAttributes, 'cores' | 'memoryMiB' | 'load' | 'uptimeSec'>, preference: SuperPeerPreference): number {
  const score = availabilityScore(attrs);
  return preference === 'prefer' ? Math.round(score * PREFER_SCORE_FACTOR * 10) / 10 : score;
}

/**
 * The score a node stands on for rebalancing: its announced score at no load and full uptime, so
 * capacity and preference only (what gridops renders as bootstrapScore). A leader is handed over
 * only for a machine that is better, not for one that is idle right now: loads move every few
 * seconds, and each handover is a leader change.
 */
export function standingScore(attrs: Pick<NodeAttributes, 'cores' | 'memoryMiB'>, preference: SuperPeerPreference): number {
  return announcedScore({ cores: attrs.cores, memoryMiB: attrs.memoryMiB, load: 0, uptimeSec: 3600 }, preference);
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
