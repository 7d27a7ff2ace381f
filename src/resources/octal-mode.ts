/**
 * A file mode as it goes into a command unquoted (`chmod 0644 FILE`): three or four octal digits
 * and nothing else. A mode may come from the host itself (a `line` keeps the mode `stat %a`
 * printed), so it is checked where each command is built, not only where a playbook is read.
 */
export function chmodMode(mode: string): string {
  if (!/^[0-7]{3,4}$/.test(mode)) throw new RangeError(`${JSON.stringify(mode)} is not an octal file mode (three or four digits 0-7); no chmod was built with it`);
  return mode;
}

/**
 * chmodMode's mode as five digits (`00755`): GNU chmod keeps a directory's setuid and setgid bits
 * on a numeric mode of four digits or fewer (`chmod 0755` leaves a 2755 directory 2755, as a
 * directory made under a setgid parent is), and clears them only on a fifth leading digit. A
 * `directory` at 0755 would otherwise plan 2755 -> 0755 at every run. Same meaning for a file.
 */
export function exactChmodMode(mode: string): string {
  return `0${chmodMode(mode).padStart(4, '0')}`;
}
