/** A seeded pseudo-random source, so that the core and the simulation stay deterministic. */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
}

/** mulberry32: small, fast and good enough for jitter and scheduling. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return {
    next(): number {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** An integer in [low, high] inclusive. */
export function randomInt(random: Random, low: number, high: number): number {
  return low + Math.floor(random.next() * (high - low + 1));
}
