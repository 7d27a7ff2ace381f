// The bookkeeping of a row's timed runs: their times, their ratios to the floor run just before
// them, and how many of them started without finding a quiet machine (settle gave up after 5 s).
// Only timed runs count: an untimed plan or reset that found the machine busy changes no figure.

/** A row of `hosts` hosts, `runs` repetitions, with an empty list per measure key. */
export function newRow(hosts, runs, keys) {
  return { hosts, runs, times: Object.fromEntries(keys.map((k) => [k, []])), paired: Object.fromEntries(keys.map((k) => [k, []])), unquiet: 0 };
}

/** Counts a timed `run` ({ quiet }) of `row` that started on a busy machine. */
export function noteQuiet(row, run) {
  if (!run.quiet) row.unquiet++;
}

/**
 * Records the timed `run` ({ s, quiet }) as row.times[key], and its ratio to `floorSeconds` (the
 * floor run just before it, if it had one) as row.paired[key].
 */
export function recordTimed(row, key, run, floorSeconds) {
  row.times[key].push(run.s);
  if (floorSeconds !== undefined) row.paired[key].push(run.s / floorSeconds);
  noteQuiet(row, run);
}
