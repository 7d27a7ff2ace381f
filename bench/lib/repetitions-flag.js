/**
 * A count of repetitions from `--NAME N` in `args`: `fallback` where the flag is absent, else a
 * whole number of 1 or more. Anything else throws (the bench exits 64 with the message): a missing
 * value or a word made NaN and, through Math.max, one silent repetition or none.
 */
export function repetitionsFlag(args, name, fallback) {
  const at = args.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = args[at + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value: a whole number of repetitions, 1 or more`);
  if (!/^[0-9]+$/.test(value) || Number(value) < 1) throw new Error(`--${name} "${value}": not a whole number of repetitions, 1 or more`);
  return Number(value);
}
