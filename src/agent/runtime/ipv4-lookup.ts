import { lookup } from 'node:dns/promises';

/**
 * The IPv4 addresses a name has on this node: its own resolver, as ssh on the operator's machine
 * used another. An empty list when the name has none; a throw when the resolver could not answer
 * (no DNS yet at boot), which is worth asking again.
 */
export type ResolveIPv4 = (name: string) => Promise<string[]>;

/** getaddrinfo's answers that mean the name has no IPv4 address, as against a resolver that did not answer. */
const NO_SUCH_ADDRESS = new Set(['ENOTFOUND', 'ENODATA', 'EAI_NONAME', 'EAI_NODATA']);

/**
 * getaddrinfo (so /etc/hosts too, as ssh and the rest of the node see names) for family 4 only:
 * the agent's sockets are udp4, and an IPv6 answer would be an address it cannot send to.
 */
export const lookupIPv4: ResolveIPv4 = async (name) => {
  try {
    return (await lookup(name, { family: 4, all: true })).map((a) => a.address);
  } catch (error) {
    if (NO_SUCH_ADDRESS.has((error as NodeJS.ErrnoException).code ?? '')) return [];
    throw error;
  }
};
