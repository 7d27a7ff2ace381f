/**
 * The unit a datagram's source address is judged by: an IPv4 address itself (/32), an IPv6
 * address by its /64, the smallest block a site hands one host (a host picks any address in its
 * /64 at will, so per-address state would cost an attacker nothing to escape). An IPv4-mapped
 * IPv6 address (::ffff:a.b.c.d, from a dual-stack socket) is its IPv4 address.
 */
export function sourcePrefix(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(':')) return address;
  return `${ipv6Groups(address).slice(0, 4).join(':')}::/64`;
}

/** The eight groups of an IPv6 address, '::' expanded, leading zeros and a zone (%eth0) dropped. */
function ipv6Groups(address: string): string[] {
  const bare = address.replace(/%.*$/, '').toLowerCase();
  const [head = '', tail] = bare.split('::', 2);
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = Math.max(0, 8 - headGroups.length - tailGroups.length);
  return [...headGroups, ...Array.from({ length: missing }, () => '0'), ...tailGroups].map((group) => group.replace(/^0+(?=.)/, ''));
}
