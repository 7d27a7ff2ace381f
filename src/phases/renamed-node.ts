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

/** Old name to new of the state's records whose address a node of another name now has (renamedTo): the renames a run finds without resolving names, as a --playbook run must. */
export function sameAddressRenames(nodes: readonly Node[], state: GridState): Map<string, string> {
  const names = new Set(nodes.map((n) => n.name));
  return new Map(Object.entries(state.hosts).flatMap(([old, record]) => {
    const now = !names.has(old) && record.node ? renamedTo(nodes, record.node) : undefined;
    return now ? [[old, now.name] as [string, string]] : [];
  }));
}

/** Resolves a DNS name to its addresses (dns.promises.lookup with `all`); injectable for tests. */
export type ResolveHost = (name: string) => Promise<string[]>;

/** How long one lookup may take: a resolver that does not answer must not hold the run (the name then counts as no match). */
const LOOKUP_TIMEOUT_MS = 3000;

/** What resolution tells of a dropped node: renamed as `node`, `unknown` (a lookup failed: say so, do not decommission), or neither. */
export type ResolvedRename = { node: Node } | { unknown: string } | undefined;

/**
 * The same rule where the recorded address or a new node's address is a DNS name (a node moved
 * from `node-07.example.org` to its IP, renamed in the same edit): both resolved here, and the same
 * host when they share an address, with the same port and jump host. Without it such a rename
 * would be planned as a decommission whose reset reaches the very host the run has just applied
 * under its new name. The candidates are the nodes not in `settled`, the names whose own last run
 * applied: a rename's new name is new to the state, or has a record only of runs that failed or
 * were skipped (the rename's first run failed: the old record stays, and the next run must see the
 * rename again, review 1). So a run resolves a handful of names, all at once, each within 3 s; a
 * name that does not resolve in time, or two candidates that match, is `unknown`, never a guess
 * either way. `resolve`: one made by resolvedOnce, which bounds every lookup by the timeout and
 * asks each name once.
 */
export async function renamedByResolution(nodes: readonly Node[], record: NonNullable<HostState['node']>, settled: ReadonlySet<string>, resolve: ResolveHost): Promise<ResolvedRename> {
  const found = await sameHostByResolution(nodes.filter((n) => !settled.has(n.name)), record, resolve);
  return found && 'node' in found ? { node: found.node } : found;
}

/**
 * The node of `nodes` whose host a recorded node is, where one of the two addresses is a DNS name:
 * both resolved, the same host when they share an address (`shared`), with the same port and no
 * jump host (the bastion resolves those names, not this machine: never matched). `unknown` when a
 * name does not resolve in time, or two nodes match.
 */
export async function sameHostByResolution(nodes: readonly Node[], record: NonNullable<HostState['node']>, resolve: ResolveHost): Promise<{ node: Node; shared: string } | { unknown: string } | undefined> {
  if (record.settings?.ssh.jumpHost) return undefined;
  const candidates = nodes.filter((n) => n.settings.ssh.port === record.port && !n.settings.ssh.jumpHost && (isIP(n.address) === 0 || isIP(record.address) === 0));
  if (candidates.length === 0) return undefined;
  // `resolve` settles within the lookup timeout, with no address for a name that did not resolve (resolvedOnce).
  const addressesOf = async (host: string): Promise<Set<string> | undefined> => {
    if (isIP(host) !== 0) return new Set([canonicalHost(host)]);
    const found = await resolve(host);
    return found.length ? new Set(found.map(canonicalHost)) : undefined;
  };
  const hosts = [record.address, ...candidates.map((n) => n.address)];
  const answers = await Promise.all(hosts.map(addressesOf));
  const failed = hosts.filter((_, i) => answers[i] === undefined);
  if (failed.length) return { unknown: `${failed.join(', ')} did not resolve within ${LOOKUP_TIMEOUT_MS / 1000} s` };
  const recorded = answers[0]!;
  const matches = candidates.flatMap((node, i) => {
    const shared = [...answers[i + 1]!].find((a) => recorded.has(a));
    return shared === undefined ? [] : [{ node, shared }];
  });
  if (matches.length > 1) return { unknown: `${matches.map((m) => m.node.name).join(' and ')} both resolve to its address` };
  return matches[0];
}

/**
 * `resolve`, asked once per name however many records ask (the run's dropped nodes share one),
 * its answer settled within the lookup timeout (none then): a second record does not wait again.
 */
export function resolvedOnce(resolve: ResolveHost): ResolveHost {
  const asked = new Map<string, Promise<string[]>>();
  return (name) => {
    const key = name.toLowerCase().replace(/\.$/, '');
    let answer = asked.get(key);
    if (!answer) {
      answer = Promise.race([resolve(name).catch(() => []), new Promise<string[]>((r) => setTimeout(() => r([]), LOOKUP_TIMEOUT_MS).unref())]);
      asked.set(key, answer);
    }
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
