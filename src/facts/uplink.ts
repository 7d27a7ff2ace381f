import { isIPv4, isIPv6 } from 'node:net';
import type { HostFacts } from './host-facts.js';

/**
 * The device a node's outgoing traffic leaves by: the default route's device; else the device
 * that carries the node's own address; else, for an IPv4 address, the device of the most specific
 * connected route that holds it (lab nodes have no default route, and a host's address lies in
 * the network its device reaches directly). Null when none is known (the address is a host name,
 * or nothing holds it).
 */
export function uplinkDevice(facts: HostFacts, nodeAddress: string): string | null {
  if (facts.network.defaultRouteDevice) return facts.network.defaultRouteDevice;
  const carrier = facts.network.addresses.find((a) => canonicalAddress(a.address) === canonicalAddress(nodeAddress))?.device;
  if (carrier) return carrier;
  if (!isIPv4(nodeAddress)) return null;
  const holding = facts.network.connectedRoutes
    .filter((r) => r.prefixLength > 0 && sameNetwork(nodeAddress, r.network, r.prefixLength))
    .sort((a, b) => b.prefixLength - a.prefixLength);
  return holding[0]?.device ?? null;
}

function ipv4Number(address: string): number {
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function sameNetwork(address: string, network: string, prefixLength: number): boolean {
  const shift = 32 - prefixLength;
  return Math.floor(ipv4Number(address) / 2 ** shift) === Math.floor(ipv4Number(network) / 2 ** shift);
}

/** One spelling per address: IPv6 in the compressed form of RFC 5952 (the URL parser's), without a `%zone`; IPv4 as written. */
export function canonicalAddress(address: string): string {
  const bare = address.split('%')[0]!;
  if (!isIPv6(bare)) return address;
  try {
    return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  } catch {
    return bare;
  }
}
