import { freshPairCount, freshPairOrder } from '../../bench/lib/fresh-pair-order.js';

/** The fresh plan and no-change apply: each in the first slot of its pair equally often. */
describe('fresh pair order', () => {
  const firstSlots = (runs: number) => {
    const orders = Array.from({ length: freshPairCount(runs) }, (_, i) => freshPairOrder(i));
    return { plan: orders.filter((o) => o[0] === 'planFresh').length, apply: orders.filter((o) => o[0] === 'noChangeFresh').length };
  };

  it('flips the order every repetition', () => {
    expect([0, 1, 2, 3].map(freshPairOrder)).toEqual([
      ['planFresh', 'noChangeFresh'],
      ['noChangeFresh', 'planFresh'],
      ['planFresh', 'noChangeFresh'],
      ['noChangeFresh', 'planFresh'],
    ]);
  });

  it.each([1, 2, 3, 4, 5])('--runs %d: as many pairs with the plan first as with the apply first', (runs) => {
    const slots = firstSlots(runs);
    expect(slots.plan).toBe(slots.apply);
    expect(freshPairCount(runs)).toBe(runs % 2 ? runs + 1 : runs);
  });
});
