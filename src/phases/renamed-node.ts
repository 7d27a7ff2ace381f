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
 * state recorded one: 10.0.0.5 behind two bastions may be two private networks. A DNS name and an
 * IP address are never compared: resolving them would make the plan depend on the DNS of the
 * machine running it, so such a rename is still planned as a decommission (the plan shows it).
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
