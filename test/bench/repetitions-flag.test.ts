import { repetitionsFlag } from '../../bench/lib/repetitions-flag.js';

/** --runs / --ansible-runs: a count of repetitions, or a usage error (never NaN, never zero runs). */
describe('repetitionsFlag', () => {
  it('takes the fallback when the flag is absent, and an integer of 1 or more', () => {
    expect(repetitionsFlag(['--no-500'], 'runs', 3)).toBe(3);
    expect(repetitionsFlag(['--runs', '5', '--ansible-runs', '2'], 'runs', 3)).toBe(5);
    expect(repetitionsFlag(['--runs', '5', '--ansible-runs', '2'], 'ansible-runs', 3)).toBe(2);
    expect(repetitionsFlag(['--runs', '1'], 'runs', 3)).toBe(1);
  });

  it.each([
    [['--runs'], '--runs needs a value: a whole number of repetitions, 1 or more'],
    [['--runs', '--no-500'], '--runs needs a value: a whole number of repetitions, 1 or more'],
    [['--runs', 'three'], '--runs "three": not a whole number of repetitions, 1 or more'],
    [['--runs', '2.5'], '--runs "2.5": not a whole number of repetitions, 1 or more'],
    [['--runs', '0'], '--runs "0": not a whole number of repetitions, 1 or more'],
    [['--runs', '-1'], '--runs "-1": not a whole number of repetitions, 1 or more'],
  ])('refuses %j: %s', (args, message) => {
    expect(() => repetitionsFlag(args, 'runs', 3)).toThrow(message);
  });
});
