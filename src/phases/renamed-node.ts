import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { GridState, HostState } from '../state/state.js';
import { canonicalHost } from '../topology/formats.js';
import type { Node } from '../topology/model.js';

/**
 * The node of the topology that is the same host as a node the state has and the topology dropped:
 * a rename (Terraform's `moved`), whatever sub-grid it is in now. Decommissioning it would run the
 * reset playbook on the very host the run has just set up under its new name.
 *
 * Same host means the same address in canonical form (fd00:0:0::12 is fd00::12, ::ffff:10.0.0.1 is
 * 10.0.0.1, a DNS name in any case and with or without its trailing dot) and the same SSH port: one
 * address with two ports may be two containers behind one NAT. A jump host is compared when the
 * state recorded one: 10.0.0.5 behind two bastions may be two private networks. Where one of the
 * two is a DNS name, renamedByResolution decides.
 */
export function renamedTo(nodes: readonly Node[], record: NonNullable<HostState['node']>): Node | undefined {
  const host = canonicalHost(record.address);
  const jumpHost = record.settings?.ssh.jumpHost;
  return nodes.find(
    (n) =>
      canonicalHost(n.address) === host &&
      n.settings.ssh.port === record.port &&
      // A state written before settings were recorded does not say: the address and port decide.
      (record.settings === undefined || (n.settings.ssh.jumpHost ?? '') === (jumpHost ?? '')),
  );
}

/** Resolves a DNS name to its addresses (dns.promises.lookup with `all`); injectable for tests. */
export type ResolveHost = (name: string) => Promise<string[]>;

/** How long one lookup may take: a resolver that does not answer must not hold the run (the name then counts as no match). */
const LOOKUP_TIMEOUT_MS = 3000;

/**
 * The same rule where the recorded address or a node's address is a DNS name (a node moved from
 * `node-07.example.org` to its IP, renamed in the same edit): both resolved here, as the
 * connection would resolve them, and the same host when they share an address, with the same
 * port and jump host. Without it such a rename would be planned as a decommission whose reset
 * reaches the very host the run has just applied under its new name.
 */
export async function renamedByResolution(nodes: readonly Node[], record: NonNullable<HostState['node']>, resolve: ResolveHost): Promise<Node | undefined> {
  const jumpHost = record.settings?.ssh.jumpHost;
  const candidates = nodes.filter((n) => n.settings.ssh.port === record.port && (record.settings === undefined || (n.settings.ssh.jumpHost ?? '') === (jumpHost ?? '')));
  if (candidates.length === 0 || (isIP(record.address) !== 0 && candidates.every((n) => isIP(n.address) !== 0))) return undefined;
  const addressesOf = async (host: string): Promise<Set<string>> => {
    if (isIP(host) !== 0) return new Set([canonicalHost(host)]);
    const found = await Promise.race([resolve(host).catch(() => []), new Promise<string[]>((r) => setTimeout(() => r([]), LOOKUP_TIMEOUT_MS).unref())]);
    return new Set(found.map(canonicalHost));
  };
  const recorded = await addressesOf(record.address);
  if (recorded.size === 0) return undefined;
  // All at once: a run waits at most one lookup timeout, whatever the number of names.
  const named = candidates.filter((n) => isIP(n.address) === 0 || isIP(record.address) === 0);
  const resolved = await Promise.all(named.map((n) => addressesOf(n.address)));
  return named.find((_, i) => [...resolved[i]!].some((a) => recorded.has(a)));
}

/** `resolve`, asked once per name however many records ask (the run's dropped nodes share one). */
export function resolvedOnce(resolve: ResolveHost): ResolveHost {
  const asked = new Map<string, Promise<string[]>>();
  return (name) => {
    const key = name.toLowerCase().replace(/\.$/, '');
    let answer = asked.get(key);
    if (!answer) asked.set(key, (answer = resolve(name)));
    return answer;
  };
}

/** dns.promises.lookup of every address a name has, as the connection's own lookup finds them. */
export const lookupAll: ResolveHost = async (name) => (await lookup(name, { all: true })).map((a) => a.address);

/**
 * A node's last record in the state: under its own name, else under the name it had before a
 * rename (the same host, so what was applied there and what a sweep still has to remove are its own).
 * Two old names of one host (renamed twice, the first never forgotten): the newest record is what
 * the host last got, whatever order the state lists them in.
 */
export function recordOf(state: GridState, name: string, renamed: ReadonlyMap<string, string>): HostState | undefined {
  if (state.hosts[name]) return state.hosts[name];
  const records = [...renamed].filter(([, to]) => to === name).flatMap(([from]) => state.hosts[from] ?? []);
  return records.reduce<HostState | undefined>((newest, r) => (newest === undefined || lastTouched(r) > lastTouched(newest) ? r : newest), undefined);
}

/** When gridops last ran on a record's host: its last run, else (a state written before runs were recorded) its last success. ISO times compare as strings. */
function lastTouched(record: HostState): string {
  return record.lastRunAt ?? record.appliedAt;
}
