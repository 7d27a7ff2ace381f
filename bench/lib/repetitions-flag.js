/**
 * A count of repetitions from `--NAME N` (or `--NAME=N`), as parsed into `flags` (parseBenchFlags):
 * `fallback` where the flag is absent, else a whole number of 1 or more. Anything else throws (the
 * bench exits 64 with the message): a word made NaN and, through Math.max, one silent repetition or none.
 */
export function repetitionsFlag(flags, name, fallback) {
  if (!flags.has(name)) return fallback;
  const value = flags.get(name);
  if (typeof value !== 'string' || !/^[0-9]+$/.test(value) || Number(value) < 1) throw new Error(`--${name} "${value}": not a whole number of repetitions, 1 or more`);
  return Number(value);
}
