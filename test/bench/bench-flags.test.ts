import { BENCH_FLAGS, parseBenchFlags } from '../../bench/lib/bench-flags.js';

/** Each benchmark's own flags: what it does not know is refused (exit 64), never ignored. */
describe('parseBenchFlags', () => {
  const provision = BENCH_FLAGS.provision!;
  const accepted = 'accepted: --no-500, --no-ansible, --json, --runs VALUE, --target-runs VALUE, --ansible-runs VALUE';

  it('reads switches and values, as --flag value or --flag=value', () => {
    expect(parseBenchFlags(['--no-500', '--runs', '5', '--ansible-runs=2', '--json'], provision)).toEqual(
      new Map<string, string | true>([
        ['no-500', true],
        ['runs', '5'],
        ['ansible-runs', '2'],
        ['json', true],
      ]),
    );
    expect(parseBenchFlags([], provision)).toEqual(new Map());
  });

  it.each([
    [['--no500'], `unknown flag --no500; ${accepted}`],
    [['--dir', '/tmp/lab'], `unknown flag --dir; ${accepted}`],
    [['--json', 'out.json'], `unexpected "out.json": neither a flag nor the value of one; ${accepted}`],
    [['--json=out.json'], `--json takes no value (given "out.json"); ${accepted}`],
    [['--runs'], `--runs needs a value; ${accepted}`],
    [['--runs', '--no-500'], `--runs needs a value; ${accepted}`],
    [['--runs='], `--runs needs a value; ${accepted}`],
    [['-runs', '5'], `unexpected "-runs": neither a flag nor the value of one; ${accepted}`],
    [['provision'], `unexpected "provision": neither a flag nor the value of one; ${accepted}`],
  ])('refuses %j for provision', (argv, message) => {
    expect(() => parseBenchFlags(argv, provision)).toThrow(message);
  });

  it("takes agent-lab's --json FILE, and refuses provision's --no-500 there", () => {
    expect(parseBenchFlags(['--json', 'out.json', '--keep'], BENCH_FLAGS['agent-lab']!).get('json')).toBe('out.json');
    expect(() => parseBenchFlags(['--no-500'], BENCH_FLAGS['agent-lab']!)).toThrow('unknown flag --no-500');
  });

  it('does not take an inherited property for a flag', () => {
    expect(() => parseBenchFlags(['--constructor'], provision)).toThrow('unknown flag --constructor');
  });
});
