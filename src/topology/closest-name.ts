import { closest, distance } from 'fastest-levenshtein';

/**
 * The name a mistyped one most likely meant, when it is near enough to say "did you mean" (a third
 * of its letters, at least two, differ at most): `region2` means `region-2`, `zz` means nothing.
 */
export function closestName(typed: string, names: readonly string[]): string | undefined {
  if (!names.length) return undefined;
  const best = closest(typed, [...names]);
  return distance(typed, best) <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}
