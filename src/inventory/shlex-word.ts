/**
 * A value as one word of a string Python's shlex splits (POSIX mode), as Ansible splits
 * `ansible_ssh_common_args` into ssh's arguments: kept as it is when it has only characters shlex
 * never treats apart (Python's shlex.quote's set, and `~`), else single-quoted, a single quote in
 * it closed, escaped and reopened. Without it, a value with a space in it becomes words of its own,
 * and those are options to ssh (`-oProxyCommand=…` runs a command on the Ansible controller).
 */
export function shlexWord(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./~-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'"'"'`)}'`;
}
