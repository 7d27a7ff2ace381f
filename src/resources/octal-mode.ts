/**
 * A file mode as it goes into a command unquoted (`chmod 0644 FILE`): three or four octal digits
 * and nothing else. A mode may come from the host itself (a `line` keeps the mode `stat %a`
 * printed), so it is checked where each command is built, not only where a playbook is read.
 */
export function chmodMode(mode: string): string {
  if (!/^[0-7]{3,4}$/.test(mode)) throw new RangeError(`${JSON.stringify(mode)} is not an octal file mode (three or four digits 0-7); no chmod was built with it`);
  return mode;
}
