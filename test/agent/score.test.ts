import { availabilityScore } from '../../src/agent/core/score.js';
import { suspicionTimeout } from '../../src/agent/core/timers.js';

describe('availabilityScore', () => {
  const base = { cores: 8, memoryMiB: 16384, load: 0, uptimeSec: 7200 };
  test.each([
    ['idle 8 cores 16 GiB, up 2 h', base, 104.3],
    ['half loaded', { ...base, load: 4 }, 78.2],
    ['fully loaded', { ...base, load: 8 }, 52.1],
    ['overloaded counts as fully loaded', { ...base, load: 20 }, 52.1],
    ['just booted', { ...base, uptimeSec: 0 }, 73],
    ['no cores reported', { ...base, cores: 0 }, 20.4],
    ['bigger box', { cores: 32, memoryMiB: 131072, load: 0, uptimeSec: 7200 }, 171],
  ])('%s', (_label, attrs, expected) => {
    expect(availabilityScore(attrs)).toBe(expected);
  });

  test('more free capacity never scores lower', () => {
    expect(availabilityScore({ ...base, cores: 16 })).toBeGreaterThan(availabilityScore(base));
    expect(availabilityScore({ ...base, memoryMiB: 32768 })).toBeGreaterThan(availabilityScore(base));
    expect(availabilityScore({ ...base, load: 1 })).toBeLessThan(availabilityScore(base));
  });
});

describe('suspicionTimeout (memberlist: mult * max(1, log10 n) heartbeats)', () => {
  test.each([
    [1, 40],
    [10, 40],
    [100, 80],
    [1000, 120],
  ])('%i members -> %i ticks', (members, ticks) => {
    expect(suspicionTimeout(members, 10, 4)).toBe(ticks);
  });
});
