/** One IPv4 route of /proc/net/route: its device, destination network and prefix length. */
export interface Ipv4Route {
  device: string;
  network: string;
  prefixLength: number;
}

/** Architectures whose kernels are big-endian (`uname -m`), for a route table with no netmask to tell. */
const BIG_ENDIAN_ARCH = /^(s390x?|ppc|ppc64|sparc|sparc64|m68k|parisc|parisc64|armeb|armv\d+b|aarch64_be|or1k)$/;

/** An IPv4 address as /proc/net/route prints it (`%08X` of the kernel's word). */
export function ipv4FromRouteHex(hex: string, littleEndian: boolean): string {
  const bytes = [0, 2, 4, 6].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  return (littleEndian ? bytes.reverse() : bytes).join('.');
}

/**
 * Routes from lines of `DEVICE DESTINATION MASK` in /proc/net/route's hex (other lines are
 * skipped). /proc/net/route prints each address as the kernel's 32-bit word in hex: byte-reversed
 * on little-endian machines. A netmask that is not /0 or /32 is a run of ones in one byte order
 * only, which tells the order; without one, the architecture does (`uname -m` says `mips` for both).
 */
export function parseRouteLines(lines: readonly string[], arch: string): Ipv4Route[] {
  const routeLines = lines.flatMap((l) => {
    const m = /^(\S+)\s+([0-9A-F]{8})\s+([0-9A-F]{8})$/i.exec(l.trim());
    return m ? [m] : [];
  });
  const contiguous = (dotted: string) => /^1*0*$/.test(dotted.split('.').map((o) => Number(o).toString(2).padStart(8, '0')).join(''));
  const telling = routeLines.map((m) => m[3]!).find((mask) => contiguous(ipv4FromRouteHex(mask, true)) !== contiguous(ipv4FromRouteHex(mask, false)));
  const littleEndian = telling !== undefined ? contiguous(ipv4FromRouteHex(telling, true)) : !BIG_ENDIAN_ARCH.test(arch);
  return routeLines.map((m) => {
    const network = ipv4FromRouteHex(m[2]!, littleEndian);
    const mask = ipv4FromRouteHex(m[3]!, littleEndian);
    const prefixLength = mask.split('.').reduce((n, octet) => n + (Number(octet).toString(2).match(/1/g)?.length ?? 0), 0);
    return { device: m[1]!, network, prefixLength };
  });
}
