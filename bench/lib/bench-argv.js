// `npm run bench -- WORD...`: which words name benchmarks and which are flags for the one named.
// Helpers of the benches live in bench/lib/, not in bench/ itself: run.js takes every .js file
// directly in bench/ for a benchmark.
import { BENCH_FLAGS, parseBenchFlags } from './bench-flags.js';

const kindsOf = (name) => Object.values(BENCH_FLAGS).map((spec) => spec[name]).filter(Boolean);
/** The benches' flags that take the next word as their value wherever they are known (agent-lab, agent-sim, lab, provision). */
export const VALUE_FLAGS = [...new Set(Object.values(BENCH_FLAGS).flatMap((spec) => Object.keys(spec)))].filter((name) => kindsOf(name).every((k) => k === 'value'));
/**
 * Flags that take a value in one benchmark and none in another: provision's `--json` prints JSON,
 * agent-lab's `--json FILE` writes it to FILE. The next word is its value unless it is a flag or a
 * benchmark's name (the benchmark's own parser then refuses a value where it takes none).
 */
export const OPTIONAL_VALUE_FLAGS = [...new Set(Object.values(BENCH_FLAGS).flatMap((spec) => Object.keys(spec)))].filter((name) => new Set(kindsOf(name)).size > 1);

/**
 * Splits the words after `npm run bench --`: a value-taking flag with its value (the next word,
 * unless given as `--flag=value`), every other word starting with `-` as a flag, the rest as
 * benchmark names (checked by the caller, so a misspelt one is reported rather than everything run).
 */
export function splitBenchArgv(argv, benchmarks) {
  const names = [];
  const flags = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (!word.startsWith('-')) {
      names.push(word);
      continue;
    }
    flags.push(word);
    if (word.includes('=')) continue;
    const name = word.replace(/^--?/, '');
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('-')) continue;
    if (VALUE_FLAGS.includes(name) || (OPTIONAL_VALUE_FLAGS.includes(name) && !benchmarks.includes(next))) flags.push(argv[++i]);
  }
  return { names, flags };
}

/**
 * The benchmarks to run and the flags for them: the named ones (all where none is named). Throws,
 * before any runs (run.js exits 64), on a name that is no benchmark (with the list), on flags
 * without exactly one benchmark named (a flag means something else to each: `--runs 5` is 5
 * repetitions to provision and 5 seeded runs to agent-sim), and on a flag that benchmark does not
 * accept (bench-flags.js).
 */
export function selectBenchmarks(argv, benchmarks) {
  const { names, flags } = splitBenchArgv(argv, benchmarks);
  const unknown = names.filter((n) => !benchmarks.includes(n));
  if (unknown.length) throw new Error(`unknown benchmark ${unknown.join(', ')}; have: ${benchmarks.join(', ')}`);
  const wanted = names.length ? names : [...benchmarks];
  if (flags.length && wanted.length !== 1) throw new Error(`flags go to one benchmark, named with them (each reads them its own way): e.g. npm run bench -- provision ${flags.join(' ')}`);
  for (const name of flags.length ? wanted : []) {
    try {
      parseBenchFlags(flags, BENCH_FLAGS[name] ?? {});
    } catch (err) {
      throw new Error(`bench/${name}: ${err.message}`);
    }
  }
  return { wanted, flags };
}
