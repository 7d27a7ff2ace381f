import { BENCH_FLAGS, parseBenchFlags } from '../../bench/lib/bench-flags.js';
import { repetitionsFlag } from '../../bench/lib/repetitions-flag.js';

const provision = (argv: string[]) => parseBenchFlags(argv, BENCH_FLAGS.provision!);

/** --runs / --ansible-runs: a count of repetitions, or a usage error (never NaN, never zero runs). */
describe('repetitionsFlag', () => {
  it('takes the fallback when the flag is absent, and an integer of 1 or more', () => {
    expect(repetitionsFlag(provision(['--no-500']), 'runs', 3)).toBe(3);
    expect(repetitionsFlag(provision(['--runs', '5', '--ansible-runs', '2']), 'runs', 3)).toBe(5);
    expect(repetitionsFlag(provision(['--runs', '5', '--ansible-runs', '2']), 'ansible-runs', 3)).toBe(2);
    expect(repetitionsFlag(provision(['--runs', '1']), 'runs', 3)).toBe(1);
  });

  it('takes --runs=N as --runs N (it returned the default)', () => {
    expect(repetitionsFlag(provision(['--runs=5']), 'runs', 3)).toBe(5);
    expect(repetitionsFlag(provision(['--ansible-runs=2', '--no-500']), 'ansible-runs', 3)).toBe(2);
  });

  it.each([
    [['--runs', 'three'], '--runs "three": not a whole number of repetitions, 1 or more'],
    [['--runs', '2.5'], '--runs "2.5": not a whole number of repetitions, 1 or more'],
    [['--runs', '0'], '--runs "0": not a whole number of repetitions, 1 or more'],
    [['--runs=0'], '--runs "0": not a whole number of repetitions, 1 or more'],
    [['--runs', '-1'], '--runs "-1": not a whole number of repetitions, 1 or more'],
  ])('refuses %j: %s', (args, message) => {
    expect(() => repetitionsFlag(provision(args), 'runs', 3)).toThrow(message);
  });
  // agent-sim's --runs and agent-lab's --kills became NaN without a word (review lab 6): the same check.
  it.each([
    ['agent-sim', ['--runs', 'x'], 'runs'],
    ['agent-lab', ['--kills', 'x'], 'kills'],
    ['agent-lab', ['--cuts=0'], 'cuts'],
    ['agent-lab', ['--region', '2.5'], 'region'],
  ])('refuses a bad count for %s (%j)', (bench, args, name) => {
    expect(() => repetitionsFlag(parseBenchFlags(args, BENCH_FLAGS[bench]!), name, 10)).toThrow(`--${name} "`);
  });
});
