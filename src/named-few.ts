/**
 * Hosts named in one line: "a", "a, b and c", or "a, b, c and 47 more hosts": enough names to find
 * them in a list, however many there are.
 */
export function namedFew(hosts: readonly string[]): string {
  if (hosts.length > 4) return `${hosts.slice(0, 3).join(', ')} and ${hosts.length - 3} more hosts`;
  if (hosts.length <= 1) return hosts[0] ?? '';
  return `${hosts.slice(0, -1).join(', ')} and ${hosts.at(-1)}`;
}
