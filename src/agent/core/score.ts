import type { NodeAttributes } from './types.js';

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

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
