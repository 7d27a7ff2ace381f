import { lookup } from 'node:dns/promises';

/**
 * The IPv4 addresses a name has on this node: its own resolver, as ssh on the operator's machine
 * used another. An empty list when the name has none; a throw when the resolver could not answer
 * (no DNS yet at boot), which is worth asking again.
 */
export type ResolveIPv4 = (name: string) => Promise<string[]>;

/** getaddrinfo's answers that mean the name has no IPv4 address, as against a resolver that did not answer. */
const NO_SUCH_ADDRESS = new Set(['ENOTFOUND', 'ENODATA', 'EAI_NONAME', 'EAI_NODATA']);

/** Whether a lookup's error says the name has no IPv4 address (the resolver answered), not that the resolver did not answer. */
export const isNoSuchAddress = (error: unknown): boolean => NO_SUCH_ADDRESS.has((error as NodeJS.ErrnoException).code ?? '');

/**
 * getaddrinfo (so /etc/hosts too, as ssh and the rest of the node see names) for family 4 only:
 * the agent's sockets are udp4, and an IPv6 answer would be an address it cannot send to. Every
 * failure is thrown, "no such name" too: the bind address waits for a name DNS does not know yet
 * at boot (a record that DHCP registers, a search domain that DHCP brings), and names the error.
 */
export const lookupIPv4OrThrow: ResolveIPv4 = async (name) => (await lookup(name, { family: 4, all: true })).map((a) => a.address);

/** As lookupIPv4OrThrow, but a name with no IPv4 address is an empty list: a seed or a peer region's name is skipped, not waited for. */
export const lookupIPv4: ResolveIPv4 = async (name) => {
  try {
    return await lookupIPv4OrThrow(name);
  } catch (error) {
    if (isNoSuchAddress(error)) return [];
    throw error;
  }
};
