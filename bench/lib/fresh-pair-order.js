// With the order of the fresh no-op plan and no-change apply fixed, the second slot read about 3%
// worse than the first for the very same binary (docs/performance.md, the caution about fixed
// slots). The order flips every repetition, and an odd --runs gets one pair more, so that each is
// first as often as the other.

/** The order of the fresh pair in repetition `i` (from 0). */
export function freshPairOrder(i) {
  return i % 2 === 0 ? ['planFresh', 'noChangeFresh'] : ['noChangeFresh', 'planFresh'];
}

/** How many fresh pairs a size runs for `runs` repetitions: `runs`, rounded up to even. */
export function freshPairCount(runs) {
  return runs + (runs % 2);
}
