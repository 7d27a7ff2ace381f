import { quote } from '../transport/quote.js';

/** virsh against the system libvirtd, whatever the SSH user's default URI would be. */
export const VIRSH = 'virsh -q -c qemu:///system';

/** A probe that prints `no-libvirt` when virsh is missing (first run, before the packages), else runs `body`. */
export function whenVirsh(body: string): string {
  return `if ! command -v virsh >/dev/null 2>&1; then echo no-libvirt; else\n${body}\nfi`;
}

/** virsh with quoted arguments. */
export function virsh(...args: Array<string | number>): string {
  return `${VIRSH} ${args.map(quote).join(' ')}`;
}

/** `KEY: value` lines (virsh net-info, pool-info, dominfo) as a map keyed by lower-cased KEY. */
export function parseInfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([^:]+):\s*(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!.trim().toLowerCase(), m[2]!.trim());
  }
  return out;
}
