/**
 * A count with its noun, as a person says it: "1 host", "2 hosts", "0 hosts". `many` is the
 * plural where adding an s is wrong. The one place gridops makes plurals, so no message falls
 * back to "host(s)".
 */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}
