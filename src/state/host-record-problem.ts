/** The outcomes a host record may name: HostState's `lastOutcome` (state.ts) is one of these. */
export const HOST_OUTCOMES = ['applied', 'unchanged', 'failed', 'skipped'] as const;

/** The sections of a recorded node's settings that decommission and the retired-* sweeps read into. */
const SETTINGS_SECTIONS = ['ssh', 'kernel', 'hypervisor', 'qos', 'agent'] as const;

/**
 * What is wrong with one host's record in a state file, said as `its FIELD is VALUE, not WHAT`, or
 * undefined when it has every field the code reads, of its type. Checked when the state is read,
 * since plan, status and decommission read these fields without a guard: an edited or damaged
 * record (`{}`, `null`) otherwise ended every command with a bare TypeError. Fields absent from
 * older states (state.ts's HostState says which) may be absent; present, they must be of their type.
 */
export function hostRecordProblem(record: unknown): string | undefined {
  if (!isObject(record)) return `it is ${JSON.stringify(record)}, not an object`;
  const r = record as Record<string, unknown>;
  const field = (name: string, what: string, ok: (v: unknown) => boolean, optional = false): string | undefined =>
    (optional && r[name] === undefined) || ok(r[name]) ? undefined : wrong(name, r[name], what);
  return (
    field('topologyHash', 'a string', isString) ??
    field('playbooks', 'a list of playbooks', isStringList) ??
    field('gridopsVersion', 'a string', isString) ??
    field('agentVersion', 'a version or null', (v) => v === null || isString(v)) ??
    field('appliedAt', 'a time or ""', isString) ??
    field('changesApplied', 'a count', (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0) ??
    field('lastOutcome', HOST_OUTCOMES.join(', '), (v) => (HOST_OUTCOMES as readonly unknown[]).includes(v)) ??
    field('lastRunAt', 'a time', isString, true) ??
    field('lastError', 'a string', isString, true) ??
    field('pendingHandlers', 'a list of handlers', isStringList, true) ??
    field('sandboxMade', 'null or an object with a network', (v) => v === null || (isObject(v) && isString((v as { network?: unknown }).network)), true) ??
    field('electorate', 'an object of node lists', isElectorate, true) ??
    field('kernelEntries', 'an object of sysctl and module lists by playbook', isKernelEntries, true) ??
    nodeProblem(r.node)
  );
}

/** What is wrong with a record's `node` (where and how it was reached), if anything. */
function nodeProblem(node: unknown): string | undefined {
  if (node === undefined) return undefined;
  if (!isObject(node)) return wrong('node', node, 'an object');
  const n = node as Record<string, unknown>;
  for (const name of ['address', 'region', 'subgrid', 'user'] as const) if (!isString(n[name])) return wrong(`node.${name}`, n[name], 'a string');
  if (typeof n.port !== 'number') return wrong('node.port', n.port, 'a port');
  if (n.sshWritten !== undefined && !isStringList(n.sshWritten)) return wrong('node.sshWritten', n.sshWritten, 'a list of settings');
  if (n.settings === undefined) return undefined;
  if (!isObject(n.settings)) return wrong('node.settings', n.settings, 'an object');
  const settings = n.settings as Record<string, unknown>;
  for (const section of SETTINGS_SECTIONS) if (!isObject(settings[section])) return wrong(`node.settings.${section}`, settings[section], 'an object');
  const sandbox = (settings.hypervisor as Record<string, unknown>).sandbox;
  if (!isObject(sandbox)) return wrong('node.settings.hypervisor.sandbox', sandbox, 'an object');
  return undefined;
}

const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const isStringList = (v: unknown): boolean => Array.isArray(v) && v.every(isString);

function isElectorate(v: unknown): boolean {
  if (!isObject(v)) return false;
  const e = v as Record<string, unknown>;
  return (e.subgrid === undefined || isStringList(e.subgrid)) && (e.region === undefined || isStringList(e.region));
}

function isKernelEntries(v: unknown): boolean {
  if (!isObject(v)) return false;
  return Object.values(v as Record<string, unknown>).every((entries) => {
    if (!isObject(entries)) return false;
    const e = entries as Record<string, unknown>;
    return isStringList(e.sysctl) && isStringList(e.modules) && (e.adHoc === undefined || e.adHoc === true);
  });
}

/** A field that is absent or not `what`, said as the refusal says it: its value as JSON, cut short. */
function wrong(field: string, value: unknown, what: string): string {
  if (value === undefined) return `it has no ${field} (${what})`;
  const json = JSON.stringify(value);
  return `its ${field} is ${json.length > 40 ? `${json.slice(0, 37)}...` : json}, not ${what}`;
}
