/**
 * The one function that turns a value into a POSIX shell word. Single quotes make every byte
 * literal except the single quote itself, which is closed, escaped and reopened.
 * Every value that reaches a remote shell passes through here.
 */
export function quote(value: string | number): string {
  const s = String(value);
  if (s.includes('\0')) throw new TypeError('a NUL byte cannot be passed to a shell');
  // `=` is not in the set: a word like `A=b` first on a command line is an assignment, not a word.
  if (/^[A-Za-z0-9_\/.:@%+,-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Quotes each argument and joins them: `sh(['echo', name])` is safe for any `name`. */
export function sh(argv: ReadonlyArray<string | number>): string {
  return argv.map(quote).join(' ');
}
