import { EGRESS_CLASS_ID, EGRESS_QDISC_HANDLE } from './egress-config.js';
import { parseTcRate } from './tc-rate.js';

/**
 * Parsers for what the kernel reports about gridops' egress objects (tc and nft output, read in
 * the probe round trip). Pure; every parser tolerates empty or foreign output.
 */

/** A root qdisc as `tc -j qdisc show` reports it. */
export interface RootQdisc {
  device: string;
  kind: string;
  handle: string;
  /** htb's default class minor (the number tc prints in hex, `0x20` or `20`), or null when there is none or it is no htb. */
  defaultMinor: number | null;
}

interface TcQdiscJson {
  kind?: unknown;
  handle?: unknown;
  dev?: unknown;
  root?: boolean;
  parent?: unknown;
  options?: { default?: unknown };
}

function qdiscList(json: string): TcQdiscJson[] {
  let list: unknown;
  try {
    list = JSON.parse(json.trim() || '[]');
  } catch {
    return [];
  }
  return Array.isArray(list) ? list.filter((q): q is TcQdiscJson => typeof q === 'object' && q !== null) : [];
}

/** htb's `default` as iproute2 prints it in JSON: a hex string (`0x20`, or `20` in older versions), or a number. 0 is none. */
function htbDefaultMinor(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^(0x)?[0-9a-f]+$/i.test(value) ? parseInt(value, 16) : NaN;
  return Number.isFinite(n) && n > 0 ? n : null;
}

/** The root qdisc of every device, from `tc -j qdisc show`. */
export function parseRootQdiscs(json: string): RootQdisc[] {
  return qdiscList(json)
    .filter((q) => q.root === true)
    .map((q) => ({ device: String(q.dev), kind: String(q.kind), handle: String(q.handle), defaultMinor: q.kind === 'htb' ? htbDefaultMinor(q.options?.default) : null }));
}

/** The kind of each qdisc below a class on `device` (by the class it sits in: `1e9d:10` -> `fq_codel`), from `tc -j qdisc show`. htb's own pfifo leaves are not listed. */
export function parseLeafQdiscs(json: string, device: string): Map<string, string> {
  return new Map(qdiscList(json).filter((q) => q.root !== true && String(q.dev) === device && typeof q.parent === 'string').map((q) => [String(q.parent), String(q.kind)]));
}

/** Whether a root qdisc is gridops' htb. */
export function isEgressQdisc(q: RootQdisc): boolean {
  return q.kind === 'htb' && q.handle === EGRESS_QDISC_HANDLE;
}

/**
 * Whether a root qdisc is the kernel's own (noqueue, pfifo_fast, mq, the default_qdisc): it has
 * no handle (`0:`), so nobody configured it and replacing it loses nothing. Anything else at the
 * root (someone's tbf, htb, cake, ...) is not gridops' to replace.
 */
export function isKernelDefaultQdisc(q: RootQdisc): boolean {
  return q.handle === '0:';
}

/** gridops' class on one device: its rate and ceiling in bit/s. */
export interface EgressClass {
  rate: number | null;
  ceil: number | null;
}

/**
 * gridops' class (`classId`) in `tc class show dev D` output, or null. iproute2 6.1 prints htb classes as
 * text even with -j (`class htb 1e9d:10 root prio 0 rate 100Mbit ceil 100Mbit burst ...`); newer
 * versions print JSON, with rates in bytes per second.
 */
export function parseEgressClass(output: string, classId: string = EGRESS_CLASS_ID): EgressClass | null {
  const trimmed = output.trim();
  if (trimmed.startsWith('[')) {
    try {
      const list = JSON.parse(trimmed) as Array<{ class?: string; handle?: string; rate?: unknown; ceil?: unknown }>;
      const c = list.find((x) => x.class === 'htb' && x.handle === classId);
      if (!c) return null;
      const bits = (v: unknown) => (typeof v === 'number' ? v * 8 : typeof v === 'string' ? parseTcRate(v) : null);
      return { rate: bits(c.rate), ceil: bits(c.ceil) };
    } catch {
      return null;
    }
  }
  for (const line of trimmed.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words[0] !== 'class' || words[1] !== 'htb' || words[2] !== classId) continue;
    const after = (key: string) => {
      const i = words.indexOf(key);
      return i >= 0 && words[i + 1] ? parseTcRate(words[i + 1]!) : null;
    };
    return { rate: after('rate'), ceil: after('ceil') };
  }
  return null;
}

/**
 * gridops' nft table, summarised from `nft -j list table`: each chain as `hook/priority/policy`
 * and each rule as its expressions in JSON. Null when the table does not exist.
 */
export interface NftTableSummary {
  chains: string[];
  rules: string[];
}

export function parseNftTable(json: string): NftTableSummary | null {
  let doc: { nftables?: Array<Record<string, Record<string, unknown>>> };
  try {
    doc = JSON.parse(json.trim());
  } catch {
    return null;
  }
  const items = doc.nftables ?? [];
  if (!items.some((i) => i.table)) return null;
  const chains = items.flatMap((i) => (i.chain ? [`${String(i.chain.name)} ${String(i.chain.type)} ${String(i.chain.hook)} ${String(i.chain.prio)} ${String(i.chain.policy)}`] : []));
  const rules = items.flatMap((i) => (i.rule ? [`${String(i.rule.chain)} ${JSON.stringify(i.rule.expr)}`] : []));
  return { chains, rules };
}

/** What `nft -j` prints for the table gridops loads, for a classifier whose match is `match` (nft's JSON form). */
export function expectedNftTable(match: unknown): NftTableSummary {
  return {
    chains: ['output filter output 0 accept'],
    rules: [`output ${JSON.stringify([{ match }, { mangle: { key: { meta: { key: 'priority' } }, value: EGRESS_CLASS_ID } }])}`],
  };
}
