/**
 * Hosts named in one line: "a", "a, b and c", or "a, b, c and 47 more hosts": enough names to find
 * them in a list, however many there are. `what` names the others where they are not hosts (files).
 */
export function namedFew(hosts: readonly string[], what = 'hosts'): string {
  if (hosts.length > 4) return `${hosts.slice(0, 3).join(', ')} and ${hosts.length - 3} more ${what}`;
  if (hosts.length <= 1) return hosts[0] ?? '';
  return `${hosts.slice(0, -1).join(', ')} and ${hosts.at(-1)}`;
}
