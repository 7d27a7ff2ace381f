import { SLOT_PREFIX_LENGTH, slotSubnet } from './plan.js';

/**
 * Which of this machine's IPv4 networks a lab slot's /20 would collide with. A route inside the
 * slot (a LAN on 10.231.0.0/20, a VPN's 10.231.20.0/24) or an address of the machine in it would
 * lose its traffic to the lab's bridge or make the nodes unreachable: the slot is skipped, and so is
 * one holding a route's gateway (the bridge would take the LAN's gateway address, `.1`). A wider
 * route of the main table that covers the slot (a VPN's 10.0.0.0/8) is not: the lab's /20 bridge
 * route, in the main table too, is more specific, so the lab works beside it, and only that route's
 * hosts inside the slot become unreachable while the lab runs, which `up` warns of
 * (wideRouteWarning). In another table (Tailscale's 52, looked up by a rule before main) such a
 * route wins over the lab's whatever its length: it refuses the slot. Pure: the machine's networks
 * come from `ip -4 -j route show table all` and `ip -4 -j addr` (sys.ts machineNetworks).
 */

/** One IPv4 network the machine routes or holds an address in. */
export interface MachineNetwork {
  /** CIDR; an address keeps its own host part (10.231.2.5/24). */
  network: string;
  dev?: string;
  /** A route's table where it is not the main one (`ip -j` names only those). */
  table?: string;
  /** A route's next hops (several for a multipath route). */
  gateways?: string[];
  /** A route's type where it is not unicast (`unreachable`, `blackhole`, `prohibit`). */
  type?: string;
  source: 'route' | 'address';
}

/** The lab's own bridges (glab-N-br): their routes and addresses are the lab's, not the machine's. */
const LAB_BRIDGE = /^glab-\d+-br$/;

/**
 * Routes shorter than this cover the whole address space in a few pieces: a default route (/0), or
 * one split in halves as OpenVPN's def1 does (0.0.0.0/1 + 128.0.0.0/1). They name no network of
 * their own; a lab's /20 beside them is an ordinary more specific route, not worth a warning.
 */
const DEFAULT_LIKE_BELOW = 8;

function parseCidr(cidr: string): { base: number; length: number } | null {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)(?:\/(\d+))?$/.exec(cidr);
  if (!m) return null;
  const octets = m.slice(1, 5).map(Number);
  const length = m[5] === undefined ? 32 : Number(m[5]);
  if (octets.some((o) => o > 255) || length > 32) return null;
  return { base: octets.reduce((a, o) => a * 256 + o, 0), length };
}

/** Whether two IPv4 CIDRs share an address (one contains the other). */
export function cidrsOverlap(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  if (!x || !y) return false;
  const common = Math.min(x.length, y.length);
  const block = 2 ** (32 - common);
  return Math.floor(x.base / block) === Math.floor(y.base / block);
}

const isLabBridge = (n: MachineNetwork): boolean => Boolean(n.dev && LAB_BRIDGE.test(n.dev));
/**
 * The main table's routes, the local table's (the machine's own addresses, counted as addresses)
 * and the `default` table's (253, looked up after main): the lab's /20 in main is weighed against
 * these by length. Another table is looked up by a rule before main (Tailscale's 52).
 */
const inMainTable = (n: MachineNetwork): boolean => n.table === undefined || n.table === 'main' || n.table === 'local' || n.table === 'default';
const prefixLength = (n: MachineNetwork): number => parseCidr(n.network)?.length ?? 0;

/**
 * The machine's networks that refuse `slot`: its routes of /20 or longer inside the slot's /20, a
 * route of another table than main that overlaps it (down to /8), a route whose gateway is in it,
 * and its addresses in it (none of the lab's bridges). A wider main-table route covering it is
 * slotShadowingRoutes'.
 */
export function slotConflicts(slot: number, networks: readonly MachineNetwork[]): MachineNetwork[] {
  const subnet = slotSubnet(slot);
  return networks.filter((n) => {
    if (isLabBridge(n)) return false;
    if (n.source === 'address') return cidrsOverlap(`${n.network.split('/')[0]}/32`, subnet);
    if (n.gateways?.some((gateway) => cidrsOverlap(`${gateway}/32`, subnet))) return true;
    const length = prefixLength(n);
    if (!inMainTable(n)) return length >= DEFAULT_LIKE_BELOW && cidrsOverlap(n.network, subnet);
    return length >= SLOT_PREFIX_LENGTH && cidrsOverlap(n.network, subnet);
  });
}

/**
 * The machine's routes wider than a slot (/8 to /19) that cover `slot`: the lab's more specific /20
 * wins, so it works, but their hosts inside the slot are unreachable while the lab runs.
 */
export function slotShadowingRoutes(slot: number, networks: readonly MachineNetwork[]): MachineNetwork[] {
  const subnet = slotSubnet(slot);
  return networks.filter((n) => {
    const length = prefixLength(n);
    return n.source === 'route' && !isLabBridge(n) && inMainTable(n) && length >= DEFAULT_LIKE_BELOW && length < SLOT_PREFIX_LENGTH && cidrsOverlap(n.network, subnet);
  });
}

/** The one warning `up` prints for the routes slotShadowingRoutes finds, or null where there are none. */
export function wideRouteWarning(slot: number, networks: readonly MachineNetwork[]): string | null {
  const wide = slotShadowingRoutes(slot, networks);
  if (!wide.length) return null;
  const subnet = slotSubnet(slot);
  const one = wide.length === 1;
  return `warning: the route${one ? '' : 's'} to ${wide.map(describeNetwork).join(', ')} cover${one ? 's' : ''} the lab's ${subnet}: the lab's own route is more specific, so ${one ? 'its' : 'their'} hosts in ${subnet} are unreachable while the lab runs`;
}

/** One line naming a conflicting network, as the refusal lists it. */
export function describeNetwork(n: MachineNetwork): string {
  const via = n.gateways?.length ? ` via ${n.gateways.join(', ')}` : '';
  const type = n.type ? `${n.type} ` : '';
  const table = n.table && !inMainTable(n) ? ` table ${n.table}` : '';
  return `${n.source === 'address' ? 'address ' : ''}${type}${n.network}${via}${n.dev ? ` ${n.source === 'address' ? 'on' : 'dev'} ${n.dev}` : ''}${table}`;
}

function parseJsonArray(text: string): unknown[] {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

/** The routes of `ip -4 -j route show table all`: `default` is 0.0.0.0/0, a bare address a /32. */
export function routeNetworks(json: string): MachineNetwork[] {
  return parseJsonArray(json).flatMap((r) => {
    const { dst, dev, table, gateway, nexthops, type } = r as { dst?: unknown; dev?: unknown; table?: unknown; gateway?: unknown; nexthops?: unknown; type?: unknown };
    if (typeof dst !== 'string') return [];
    // A throw route sends the lookup on to the next table: it routes nothing itself.
    if (type === 'throw') return [];
    const gateways = [gateway, ...(Array.isArray(nexthops) ? nexthops.map((hop) => (hop as { gateway?: unknown }).gateway) : [])].filter(
      (g): g is string => typeof g === 'string' && parseCidr(g) !== null,
    );
    const network = dst === 'default' ? '0.0.0.0/0' : dst.includes('/') ? dst : `${dst}/32`;
    if (!parseCidr(network)) return [];
    return [
      {
        network,
        ...(typeof dev === 'string' ? { dev } : {}),
        ...(typeof table === 'string' || typeof table === 'number' ? { table: String(table) } : {}),
        ...(gateways.length ? { gateways } : {}),
        ...(typeof type === 'string' && type !== 'unicast' ? { type } : {}),
        source: 'route' as const,
      },
    ];
  });
}

/** The IPv4 addresses of `ip -4 -j addr`, each with its prefix length. */
export function addressNetworks(json: string): MachineNetwork[] {
  return parseJsonArray(json).flatMap((link) => {
    const { ifname, addr_info } = link as { ifname?: unknown; addr_info?: unknown };
    if (!Array.isArray(addr_info)) return [];
    return addr_info.flatMap((a) => {
      const { family, local, prefixlen } = a as { family?: unknown; local?: unknown; prefixlen?: unknown };
      if (family !== 'inet' || typeof local !== 'string' || typeof prefixlen !== 'number') return [];
      return [{ network: `${local}/${prefixlen}`, ...(typeof ifname === 'string' ? { dev: ifname } : {}), source: 'address' as const }];
    });
  });
}
