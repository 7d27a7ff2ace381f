import { HandBackHoldDown, handBackHoldDownFor } from '../../src/agent/core/group/hand-back-hold-down.js';

/** src/agent/core/group/hand-back-hold-down.ts: a rebalance hands the role back to a former leader that lost it only after a growing hold-down. */
describe('hand-back hold-down', () => {
  const settings = handBackHoldDownFor(50); // the sub-grid's rebalance interval: 5 s

  test('none for a node that never lost the role here', () => {
    const holdDown = new HandBackHoldDown(() => settings);
    expect(holdDown.holdDown('n1', 0)).toBe(0);
    expect(holdDown.holdsBack('n1', 100, 100)).toBe(false);
  });

  test('one rebalance interval after a first loss, doubling per loss up to 24 intervals', () => {
    const holdDown = new HandBackHoldDown(() => settings);
    const seen: number[] = [];
    for (let loss = 0; loss < 7; loss++) {
      holdDown.lostRole('n1', loss * 100);
      seen.push(holdDown.holdDown('n1', loss * 100));
    }
    expect(seen).toEqual([50, 100, 200, 400, 800, 1200, 1200]);
    // Counted from when it answers without a break, not from the loss.
    expect(holdDown.holdsBack('n1', 1000, 2199)).toBe(true);
    expect(holdDown.holdsBack('n1', 1000, 2200)).toBe(false);
    expect(holdDown.holdDown('n2', 600)).toBe(0);
  });

  test('a loss long after the last one counts as a first loss again, and old records are dropped', () => {
    const holdDown = new HandBackHoldDown(() => settings);
    holdDown.lostRole('n1', 0);
    holdDown.lostRole('n1', 100);
    holdDown.lostRole('n2', 100);
    expect(holdDown.holdDown('n1', 200)).toBe(100);
    expect(holdDown.holdDown('n1', 100 + settings.forgetAfter)).toBe(0);
    holdDown.lostRole('n2', 100 + settings.forgetAfter);
    expect(holdDown.holdDown('n2', 100 + settings.forgetAfter)).toBe(50);
  });
});
