import { isIPv4 } from 'node:net';
import { PlanningError } from '../errors/index.js';
import { parseRouteLines } from '../facts/route-table.js';
import { GRID_NET } from './sandbox-names.js';

/**
 * The host's IPv4 route table as device, destination and mask (/proc/net/route's hex), with only
 * shell builtins: libvirt reads the same file before it starts a network.
 */
export const ROUTE_TABLE_PROBE = '[ -r /proc/net/route ] && while read -r i d g f r u m k rest; do echo "$i $d $k"; done < /proc/net/route || true';

const GRID_PREFIX = 24;

function ipv4Number(address: string): number {
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

/** Whether two IPv4 networks share an address: the shorter prefix holds the other's network. */
function overlaps(a: string, aPrefix: number, b: string, bPrefix: number): boolean {
  const shift = 32 - Math.min(aPrefix, bPrefix);
  return Math.floor(ipv4Number(a) / 2 ** shift) === Math.floor(ipv4Number(b) / 2 ** shift);
}

/**
 * Refuses, at plan time, to start the grid network (fixed at 172.31.254.0/24) on a host where that
 * range is taken. libvirt refuses to start a network when /proc/net/route has a route to exactly
 * its network and mask on any device ("Network is already in use by interface X"), so the apply
 * would fail midway; a wider route (a LAN or Docker's 172.31.0.0/16) or a narrower one would start,
 * but the grid network's bridge would then take that part of the host's traffic. The node's own
 * address inside the range is the same clash, whatever route leads to it. Routes on the grid
 * network's own bridge (it is running, and restarted) and the default route are its own business.
 * So are those on `replacedBridge`: the bridge of the grid network gridops made and this plan
 * removes first (a renamed hypervisor.sandbox.network). Only that one: another bridge named like
 * a grid network's may be another grid's or anyone's, and libvirt would refuse to start beside it.
 */
export function checkGridNetRoutes(routeLines: readonly string[], arch: string, context: { node: string; nodeAddress: string; network: string; bridge: string; replacedBridge?: string }): void {
  const { node, nodeAddress, network, bridge, replacedBridge } = context;
  const range = `${GRID_NET.address.replace(/\.\d+$/, '.0')}/${GRID_PREFIX}`;
  const cannot = `${node}: the grid network ${network} cannot start here: its fixed range ${range}`;
  const hint = `move that network off ${range} on this host, or set hypervisor.enabled: false for this node`;
  if (isIPv4(nodeAddress) && overlaps(nodeAddress, 32, GRID_NET.address, GRID_PREFIX)) {
    throw new PlanningError(`${cannot} holds the node's own address ${nodeAddress}`, `readdress the node off ${range}, or set hypervisor.enabled: false for this node`);
  }
  for (const route of parseRouteLines(routeLines, arch)) {
    if (route.prefixLength === 0 || route.device === bridge || route.device === replacedBridge || !overlaps(route.network, route.prefixLength, GRID_NET.address, GRID_PREFIX)) continue;
    const to = `${route.network}/${route.prefixLength}`;
    if (route.prefixLength === GRID_PREFIX) {
      throw new PlanningError(`${cannot} is already routed to ${route.device} (${to}), and libvirt refuses to start a network whose range a route has ("Network is already in use by interface ${route.device}")`, hint);
    }
    const what = route.prefixLength < GRID_PREFIX ? `would take ${range} of it from ${route.device}` : `would compete with ${route.device} for ${to}`;
    throw new PlanningError(`${cannot} overlaps the route to ${to} on ${route.device}: the grid network's bridge ${what}`, hint);
  }
}
