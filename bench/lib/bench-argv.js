// `npm run bench -- WORD...`: which words name benchmarks and which are flags for each of them.
// Helpers of the benches live in bench/lib/, not in bench/ itself: run.js takes every .js file
// directly in bench/ for a benchmark.

/** The benches' flags that take the next word as their value (agent-lab, agent-sim, lab, provision). */
export const VALUE_FLAGS = ['runs', 'ansible-runs', 'kills', 'cuts', 'region', 'soak-min', 'datagrams', 'only', 'dir', 'regions', 'subgrids', 'nodes', 'loss'];
/**
 * Flags whose value is optional: provision's `--json` prints JSON, agent-lab's `--json FILE` writes
 * it to FILE. The next word is its value unless it is a flag or a benchmark's name.
 */
export const OPTIONAL_VALUE_FLAGS = ['json'];

/**
 * Splits the words after `npm run bench --`: a value-taking flag with its value, every other word
 * starting with `-` as a flag (passed to each benchmark run), the rest as benchmark names (checked
 * by the caller, so a misspelt one is reported rather than everything run).
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
    const name = word.replace(/^--?/, '');
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('-')) continue;
    if (VALUE_FLAGS.includes(name) || (OPTIONAL_VALUE_FLAGS.includes(name) && !benchmarks.includes(next))) flags.push(argv[++i]);
  }
  return { names, flags };
}

/**
 * The benchmarks to run and the flags for each: the named ones (all where none is named). Throws
 * on a name that is no benchmark, before any runs, with the list (run.js exits 64).
 */
export function selectBenchmarks(argv, benchmarks) {
  const { names, flags } = splitBenchArgv(argv, benchmarks);
  const unknown = names.filter((n) => !benchmarks.includes(n));
  if (unknown.length) throw new Error(`unknown benchmark ${unknown.join(', ')}; have: ${benchmarks.join(', ')}`);
  return { wanted: names.length ? names : [...benchmarks], flags };
}
