/**
 * One spelling per address, so that comparing two addresses compares where they lead, not how
 * they were written. A dual-stack socket reports an IPv4 peer as an IPv4-mapped IPv6 address
 * (`::ffff:10.0.0.1:7946`, as the runtime joins rinfo's address and port, or `[::ffff:10.0.0.1]:7946`),
 * while a view or the config spells the same peer `10.0.0.1:7946`; an IPv6 address is written
 * in upper or lower case. Addresses are opaque elsewhere in the core (the sim uses names).
 */
export function canonicalAddress(addr: string): string {
  const lower = addr.toLowerCase();
  const mapped = /^\[?::ffff:(\d{1,3}(?:\.\d{1,3}){3})\]?(:\d+)?$/.exec(lower);
  return mapped ? `${mapped[1]}${mapped[2] ?? ''}` : lower;
}

/** Do two addresses, either possibly unknown, name the same place? Unknown matches nothing. */
export function sameAddress(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && canonicalAddress(a) === canonicalAddress(b);
}
