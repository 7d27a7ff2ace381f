/** One word for a POSIX shell: as it is when nothing in it is special, else single-quoted. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * A `gridops lab` command line for a hint, always naming the lab directory: a hint without
 * `--dir` would act on the default lab (or $GRIDOPS_LAB_DIR's), not the one that failed.
 */
export function labCommand(verb: 'up' | 'down' | 'grow' | 'status', dir: string): string {
  return `gridops lab ${verb} --dir ${shellWord(dir)}`;
}
