import { selectBenchmarks, splitBenchArgv } from '../../bench/lib/bench-argv.js';

/** `npm run bench -- ...`: which words name benchmarks and which go to each of them as flags. */
describe('splitBenchArgv', () => {
  const benchmarks = ['agent-lab', 'agent-sim', 'lab', 'provision'];

  it('keeps a benchmark named after a flag that takes no value (--no-500 provision)', () => {
    expect(splitBenchArgv(['--no-500', 'provision'], benchmarks)).toEqual({ names: ['provision'], flags: ['--no-500'] });
  });

  it('gives a value-taking flag its value, whatever the order', () => {
    expect(splitBenchArgv(['provision', '--runs', '5', '--no-ansible', '--ansible-runs', '2'], benchmarks)).toEqual({ names: ['provision'], flags: ['--runs', '5', '--no-ansible', '--ansible-runs', '2'] });
    expect(splitBenchArgv(['--runs', '5', 'lab', 'provision'], benchmarks)).toEqual({ names: ['lab', 'provision'], flags: ['--runs', '5'] });
  });

  it("takes --json as a flag before a benchmark's name, and as agent-lab's --json FILE before anything else", () => {
    expect(splitBenchArgv(['--json', 'provision'], benchmarks)).toEqual({ names: ['provision'], flags: ['--json'] });
    expect(splitBenchArgv(['agent-lab', '--json', 'out.json'], benchmarks)).toEqual({ names: ['agent-lab'], flags: ['--json', 'out.json'] });
    expect(splitBenchArgv(['provision', '--json', '--no-500'], benchmarks)).toEqual({ names: ['provision'], flags: ['--json', '--no-500'] });
  });

  it('leaves a word that is no flag value as a name, so an unknown one is reported, not run as everything', () => {
    expect(splitBenchArgv(['--no-500', 'provison'], benchmarks)).toEqual({ names: ['provison'], flags: ['--no-500'] });
    expect(splitBenchArgv([], benchmarks)).toEqual({ names: [], flags: [] });
  });
});

// run.js itself is not started here: with a wrong split it would run every benchmark (minutes of
// the whole machine); it only calls selectBenchmarks and exits 64 on its error.
describe('selectBenchmarks', () => {
  const benchmarks = ['agent-lab', 'agent-sim', 'lab', 'provision'];

  it('runs only the benchmark named after a flag (--no-500 provision), with the flag', () => {
    expect(selectBenchmarks(['--no-500', 'provision'], benchmarks)).toEqual({ wanted: ['provision'], flags: ['--no-500'] });
  });

  it('runs all where none is named, without flags', () => {
    expect(selectBenchmarks([], benchmarks)).toEqual({ wanted: benchmarks, flags: [] });
  });

  it('refuses flags for more than one benchmark: --runs 5 is 5 repetitions to provision, 5 seeded runs to agent-sim', () => {
    expect(() => selectBenchmarks(['--runs', '2'], benchmarks)).toThrow('flags go to one benchmark, named with them (each reads them its own way): e.g. npm run bench -- provision --runs 2');
    expect(() => selectBenchmarks(['lab', 'provision', '--runs', '2'], benchmarks)).toThrow('flags go to one benchmark');
  });

  it("refuses, before anything runs, a flag the named benchmark does not take, with that benchmark's list", () => {
    expect(() => selectBenchmarks(['provision', '--no500'], benchmarks)).toThrow('bench/provision: unknown flag --no500; accepted: --no-500,');
    expect(() => selectBenchmarks(['provision', '--dir', '/tmp/x'], benchmarks)).toThrow('bench/provision: unknown flag --dir');
    expect(() => selectBenchmarks(['provision', '--json', 'out.json'], benchmarks)).toThrow('bench/provision: unexpected "out.json"');
  });

  it('passes --flag=value through as one word', () => {
    expect(selectBenchmarks(['provision', '--runs=5', '--no-500'], benchmarks)).toEqual({ wanted: ['provision'], flags: ['--runs=5', '--no-500'] });
    expect(splitBenchArgv(['--runs=5', 'provision'], benchmarks)).toEqual({ names: ['provision'], flags: ['--runs=5'] });
  });

  it('refuses an unknown name after a flag, with the list, rather than running everything', () => {
    expect(() => selectBenchmarks(['--no-500', 'provison'], benchmarks)).toThrow('unknown benchmark provison; have: agent-lab, agent-sim, lab, provision');
  });
});
