import { Discovery } from '../../src/agent/core/group/discovery.js';
import type { GroupContext } from '../../src/agent/core/group/context.js';
import { SUBGRID_TIMERS } from '../../src/agent/core/timers.js';

/**
 * The discovery retry schedule (issue 14, rejoin within 1 s): a restarted node's first discover
 * usually goes out before its sub-grid has a new leader, so the first retry comes 0.2 s later
 * (not 0.5 s), and the backoff still doubles up to its cap, so a node that finds nobody sends a
 * bounded number of discovers.
 */
function searchFor(ticks: number, random: () => number): number[] {
  const sentAt: number[] = [];
  const ctx = {
    active: true,
    now: 0,
    self: 'n1',
    timers: SUBGRID_TIMERS,
    settings: { useMulticast: true, random: { next: random }, eligible: false, expect: null },
    state: { view: null, joined: true },
    host: { canStand: () => false, selfInfo: () => ({ score: 1 }) },
    send: (dest: { kind: string }) => {
      if (dest.kind === 'multicast') sentAt.push(ctx.now);
    },
  };
  const discovery = new Discovery(ctx as unknown as GroupContext);
  discovery.start();
  for (; ctx.now < ticks; ctx.now++) discovery.tick();
  return sentAt;
}

describe('discovery retry schedule', () => {
  test('without jitter: at once, then after 0.2, 0.4, 0.8, 1.6 and 3.2 s, then every 4 s (1 tick = 100 ms)', () => {
    expect(searchFor(150, () => 0.5)).toEqual([0, 2, 6, 14, 30, 62, 102, 142]);
  });

  test('with the most jitter either way, the first retry comes within 0.3 s and the second within 0.9 s', () => {
    for (const random of [() => 0, () => 0.999]) {
      const sent = searchFor(20, random);
      expect(sent[0]).toBe(0);
      expect(sent[1]).toBeLessThanOrEqual(3);
      expect(sent[2]).toBeLessThanOrEqual(9);
    }
  });

  test('a node that finds nobody sends at most 25 multicast discovers a minute (about 4 s apart once capped)', () => {
    for (const random of [() => 0, () => 0.5, () => 0.999]) {
      const sent = searchFor(600, random);
      expect(sent.length).toBeLessThanOrEqual(25);
      // And it keeps searching: one discover every 3 to 5 s once capped, so no fewer than 16 a minute.
      expect(sent.length).toBeGreaterThanOrEqual(16);
      const gaps = sent.slice(6).map((at, index) => at - sent[5 + index]!);
      for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(30);
    }
  });
});
