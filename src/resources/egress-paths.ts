/**
 * The devices grid traffic may leave a node by, besides the uplink that holds the egress limit:
 * the next hops of every default route (IPv4 and IPv6, in every routing table, so a VPN's policy
 * table and each ECMP next hop count) and the device that carries the node's own address (peers on
 * its network are reached there). The limit is one htb on one device, so traffic by any other goes
 * unlimited: the plan names them rather than hide it. Read with `ip` in the egress probe, not in
 * the facts script: only `ip` shows an IPv4 multipath route's next hops past the first
 * (/proc/net/route has the first), and the probe runs `tc` of the same package anyway.
 */
import { canonicalAddress } from '../facts/uplink.js';

/** Every table's default routes, IPv4 then IPv6, one a line (`-o`: a multipath route's next hops on its line); nothing without `ip`. */
export const DEFAULT_ROUTES_PROBE = 'if command -v ip >/dev/null 2>&1; then ip -o -4 route show default table all 2>/dev/null; ip -o -6 route show default table all 2>/dev/null; fi';

/** The node's addresses with their devices, one a line. */
export const ADDRESSES_PROBE = 'if command -v ip >/dev/null 2>&1; then ip -o addr show 2>/dev/null; fi';

/** Route types that send nothing anywhere: their `dev` (lo, where shown) is no way out. */
const REJECTING = new Set(['unreachable', 'prohibit', 'blackhole', 'throw']);

/** A device grid traffic may leave by, and why it may. */
export interface EgressPath {
  device: string;
  why: string;
}

/** The devices of the default routes' next hops, in the order `ip` lists them, each once. */
function defaultRouteDevices(routes: string): string[] {
  const devices: string[] = [];
  for (const line of routes.split('\n')) {
    if (REJECTING.has(line.trim().split(/\s+/)[0] ?? '')) continue;
    for (const m of line.matchAll(/\bdev\s+(\S+)/g)) if (!devices.includes(m[1]!)) devices.push(m[1]!);
  }
  return devices;
}

/** The device of `ip -o addr show` that carries `address`, or null (none does, or the node's address is a host name). */
function carrierDevice(addresses: string, address: string): string | null {
  for (const line of addresses.split('\n')) {
    const m = /^\d+:\s+([^\s@]+)\S*\s+inet6?\s+([^/\s]+)/.exec(line);
    if (m && canonicalAddress(m[2]!) === canonicalAddress(address)) return m[1]!;
  }
  return null;
}

/** The ways out other than `uplink`, from the probe's two sections; lo is none. */
export function otherEgressPaths(routes: string, addresses: string, nodeAddress: string, uplink: string): EgressPath[] {
  const paths: EgressPath[] = defaultRouteDevices(routes).map((device) => ({ device, why: "a default route's next hop" }));
  const carrier = carrierDevice(addresses, nodeAddress);
  if (carrier !== null && !paths.some((p) => p.device === carrier)) paths.push({ device: carrier, why: `it carries the node's address ${nodeAddress}` });
  return paths.filter((p) => p.device !== uplink && p.device !== 'lo');
}

/** The plan's words for them: `grid traffic that leaves by eth1 (...) or wg0 (...) is not limited: the limit is on eth0 alone`. */
export function unlimitedPathsText(paths: readonly EgressPath[], uplink: string): string {
  const named = paths.map((p) => `${p.device} (${p.why})`);
  const list = named.length > 1 ? `${named.slice(0, -1).join(', ')} or ${named.at(-1)}` : named[0];
  return `grid traffic that leaves by ${list} is not limited: the limit is on ${uplink} alone`;
}
