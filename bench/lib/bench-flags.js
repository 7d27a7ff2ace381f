// Each benchmark's flags, and the one parser they all use: a misspelt or foreign flag (`--no500`,
// another benchmark's `--dir`, `--json out.json` where --json takes no value) is refused with exit
// 64 and the list, rather than ignored while the bench runs for minutes with its defaults.

/** Per benchmark: flag name -> 'switch' (no value) or 'value' (`--NAME VALUE` or `--NAME=VALUE`). */
export const BENCH_FLAGS = {
  'agent-lab': { kills: 'value', cuts: 'value', region: 'value', 'soak-min': 'value', only: 'value', datagrams: 'value', dir: 'value', keep: 'switch', json: 'value' },
  'agent-sim': { runs: 'value', regions: 'value', subgrids: 'value', nodes: 'value', loss: 'value', json: 'switch', 'only-10k': 'switch', 'no-10k': 'switch' },
  lab: { runs: 'value', cold: 'switch', vm: 'switch' },
  'ssh-config-lookups': {},
  provision: { 'no-500': 'switch', 'no-ansible': 'switch', json: 'switch', runs: 'value', 'target-runs': 'value', 'ansible-runs': 'value' },
};

/** The accepted flags of `spec`, as a usage list: `--runs N, --json`. */
export function acceptedFlags(spec) {
  return Object.entries(spec)
    .map(([name, kind]) => (kind === 'value' ? `--${name} VALUE` : `--${name}`))
    .join(', ');
}

/**
 * The flags in `argv` by `spec`: a Map of name -> value (true for a switch; the last one given
 * wins). Throws on an unknown flag, a value-taking flag without its value, a switch given a value
 * (`--json=x`), and any word that is neither a flag nor a flag's value; the message lists what
 * `spec` accepts.
 */
export function parseBenchFlags(argv, spec) {
  const flags = new Map();
  const refuse = (why) => new Error(`${why}; accepted: ${acceptedFlags(spec) || 'no flags'}`);
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    const m = /^--([^=]+)(?:=(.*))?$/s.exec(word);
    if (!m) throw refuse(`unexpected "${word}": neither a flag nor the value of one`);
    const [, name, inline] = m;
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (!kind) throw refuse(`unknown flag --${name}`);
    if (kind === 'switch') {
      if (inline !== undefined) throw refuse(`--${name} takes no value (given "${inline}")`);
      flags.set(name, true);
      continue;
    }
    const value = inline ?? argv[i + 1];
    if (value === undefined || (inline === undefined && value.startsWith('--')) || value === '') throw refuse(`--${name} needs a value`);
    if (inline === undefined) i++;
    flags.set(name, value);
  }
  return flags;
}

/**
 * The flags of `benchmark` from `argv`, or exit 64 with the reason: what each benchmark calls first,
 * before it needs root or builds anything.
 */
export function benchFlagsOrExit(benchmark, argv) {
  try {
    return parseBenchFlags(argv, BENCH_FLAGS[benchmark]);
  } catch (err) {
    console.error(`bench/${benchmark}: ${err.message}`);
    process.exit(64);
  }
}
