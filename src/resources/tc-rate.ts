/**
 * Rates as tc prints them. `tc class show` prints a rate through iproute2's print_rate, which
 * loses digits: it divides by 1000 (integer division) while the value is at least 1000 and either
 * divides evenly or is at least 1000*1000 of the current unit, so 1234500000 bit/s shows as
 * `1234Mbit` and 3141592 as `3141Kbit`. A rate is therefore compared as tc shows it (to about 0.1 %),
 * never as the exact number gridops set, or such a rate would be a change on every plan.
 */

const UNIT_BITS: Record<string, number> = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9, tbit: 1e12 };

/** A tc rate (`100Mbit`, `1500Kbit`, `400Gbit`, `96bit`) in bit/s, or null. */
export function parseTcRate(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?bit)$/i.exec(text.trim());
  if (!m) return null;
  return Math.round(Number(m[1]) * UNIT_BITS[m[2]!.toLowerCase()]!);
}

/** The rate in bit/s that `tc class show` prints for `bits` and parseTcRate reads back (iproute2's print_rate, without -iec). */
export function tcShownRate(bits: number): number {
  let value = bits;
  let unit = 1;
  // Four steps at most: bit, Kbit, Mbit, Gbit, then Tbit, tc's largest unit.
  for (let step = 0; step < 4; step++) {
    if (value < 1000) break;
    if (value % 1000 !== 0 && value < 1_000_000) break;
    value = Math.floor(value / 1000);
    unit *= 1000;
  }
  return value * unit;
}

/**
 * Whether a class's rate read from tc (`live`, exact from JSON or rounded from text) is the rate
 * gridops sets (`bits`), as far as tc shows it. Showing is idempotent, so both sides can go through it.
 */
export function sameTcRate(live: number | null, bits: number): boolean {
  return live !== null && tcShownRate(live) === tcShownRate(bits);
}
