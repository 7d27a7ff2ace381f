import { slotSubnet } from './plan.js';

/**
 * Which of this machine's IPv4 networks a lab slot's /20 would collide with. A slot overlapping a
 * route (a VPN's 10.0.0.0/8) takes that traffic for the lab's bridge, silently; one overlapping the
 * machine's own network (a LAN on 10.231.0.0/20) makes the nodes unreachable. Pure: the machine's
 * networks come from `ip -4 -j route show table all` and `ip -4 -j addr` (sys.ts machineNetworks).
 */

/** One IPv4 network the machine routes or holds an address in. */
export interface MachineNetwork {
  /** CIDR; an address keeps its own host part (10.231.2.5/24). */
  network: string;
  dev?: string;
  source: 'route' | 'address';
}

/** The lab's own bridges (glab-N-br): their routes and addresses are the lab's, not the machine's. */
const LAB_BRIDGE = /^glab-\d+-br$/;

/**
 * Routes shorter than this cover the whole address space in a few pieces: a default route (/0), or
 * one split in halves as OpenVPN's def1 does (0.0.0.0/1 + 128.0.0.0/1). They name no network of
 * their own; a lab's /20 beside them is an ordinary more specific route.
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

/** The machine's networks that `slot` would collide with (none of the lab's bridges, no default route). */
export function slotConflicts(slot: number, networks: readonly MachineNetwork[]): MachineNetwork[] {
  const subnet = slotSubnet(slot);
  return networks.filter((n) => !(n.dev && LAB_BRIDGE.test(n.dev)) && (parseCidr(n.network)?.length ?? 0) >= DEFAULT_LIKE_BELOW && cidrsOverlap(n.network, subnet));
}

/** One line naming a conflicting network, as the refusal lists it. */
export function describeNetwork(n: MachineNetwork): string {
  return `${n.source === 'address' ? 'address ' : ''}${n.network}${n.dev ? ` ${n.source === 'address' ? 'on' : 'dev'} ${n.dev}` : ''}`;
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
    const { dst, dev } = r as { dst?: unknown; dev?: unknown };
    if (typeof dst !== 'string') return [];
    const network = dst === 'default' ? '0.0.0.0/0' : dst.includes('/') ? dst : `${dst}/32`;
    if (!parseCidr(network)) return [];
    return [{ network, ...(typeof dev === 'string' ? { dev } : {}), source: 'route' as const }];
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
