/**
 * Terraform's rule for a node's kernel settings: what the configuration no longer has is removed.
 * The state records the settings each host was last applied with (HostState.node.settings); a
 * kernel.sysctl key, or a module of kernel.modules or kernel.params, that it names and the
 * topology no longer does is retired, and the `sysctls` and `kernel-modules` entries sweep its
 * files (an AbsentPathsResource of literal paths). Files only, and the plan says so: a removed
 * sysctl.d file leaves the running kernel's value as it is until the next boot, and a removed
 * modules-load.d file does not unload the module (unloading kvm under running VMs would be wrong);
 * no old value is restored. With nothing retired there is no sweep at all, so a run without a
 * change probes what it always did. A state without recorded settings (an older gridops) sweeps nothing.
 */
import { AbsentPathsResource } from '../resources/absent-paths.js';
import { moduleFiles } from '../resources/kernel-module.js';
import { moduleKey } from '../topology/kernel-names.js';
import type { Resource } from '../resources/resource.js';
import { sysctlFiles } from '../resources/sysctl.js';
import type { EffectiveSettings, KernelConfig } from '../topology/model.js';
import { appliesTo, type LoadedPlaybook } from './load.js';

/** The kernel settings a state recorded; one from an older gridops may lack a list. */
export type RecordedKernel = Partial<KernelConfig>;

/** The `sysctls` entry's sweep: the sysctl.d files of keys `previous` names and `current` does not (none when there are none). */
export function retiredSysctls(previous: RecordedKernel | undefined, current: KernelConfig): Resource[] {
  const why = new Map<string, string>();
  for (const key of Object.keys(previous?.sysctl ?? {})) {
    // Under either name gridops has used (an older gridops wrote 90-gridops-KEY.conf).
    if (!Object.hasOwn(current.sysctl, key)) for (const file of sysctlFiles(key)) why.set(file, `${key} left kernel.sysctl; the running kernel keeps its value until the next boot`);
  }
  return why.size ? [AbsentPathsResource.retired(why)] : [];
}

/**
 * The `kernel-modules` entry's sweep: the modules-load.d file of a module that left kernel.modules,
 * and the modprobe.d file of one that left both lists (a module still listed manages its options
 * file itself, and one kernel.params still names keeps its options).
 */
export function retiredModules(previous: RecordedKernel | undefined, current: KernelConfig): Resource[] {
  const keys = (names: readonly string[]) => new Set(names.map(moduleKey));
  const [listed, named] = [keys(previous?.modules ?? []), keys(Object.keys(previous?.params ?? {}))];
  const [nowListed, nowNamed] = [keys(current.modules), keys(Object.keys(current.params))];
  const why = new Map<string, string>();
  for (const m of new Set([...listed, ...named])) {
    const unlisted = listed.has(m) && !nowListed.has(m);
    const left = [...(unlisted ? ['kernel.modules'] : []), ...(named.has(m) && !nowNamed.has(m) ? ['kernel.params'] : [])];
    if (!left.length) continue;
    const reason = `${m} left ${left.join(' and ')}; ${unlisted ? 'gridops does not unload it: it stays loaded until it is unloaded or the node reboots' : `a loaded ${m} keeps these options until it is next loaded`}`;
    const { loadFile, optionsFile } = moduleFiles(m);
    if (unlisted) why.set(loadFile, reason);
    if (!nowListed.has(m) && !nowNamed.has(m)) why.set(optionsFile, reason);
  }
  return why.size ? [AbsentPathsResource.retired(why)] : [];
}

/**
 * A node's resources with each sweep left without the files another resource of the run writes
 * (a playbook's own `sysctl` or `kernel-module` entry, an options-only module) and the files in
 * `managed` (those of a playbook this run leaves out: retired-entries.ts stillManaged), and dropped
 * when none is left. Without a sweep, the same map.
 */
export function sparingWritten(resources: Map<string, Resource>, managed: ReadonlySet<string> = new Set()): Map<string, Resource> {
  const isSweep = (r: Resource): r is AbsentPathsResource => r instanceof AbsentPathsResource && r.sweeps;
  if (![...resources.values()].some(isSweep)) return resources;
  const written = new Set([...[...resources.values()].flatMap((r) => r.writes ?? []), ...managed]);
  const kept = new Map<string, Resource>();
  for (const [id, r] of resources) {
    const rest = isSweep(r) ? r.without(written) : r;
    if (rest) kept.set(rest === r ? id : rest.id, rest);
  }
  return kept;
}

/** Which sweeps a node's playbooks hold: `sysctls` (kernel.sysctl) and `kernel-modules` (kernel.modules, kernel.params). */
export interface Sweeps {
  sysctl: boolean;
  modules: boolean;
}

export function sweepsOf(playbooks: readonly LoadedPlaybook[], settings: EffectiveSettings): Sweeps {
  const entries = playbooks.filter((p) => appliesTo(p, settings)).flatMap((p) => p.resources);
  return { sysctl: entries.some((e) => 'sysctls' in e), modules: entries.some((e) => 'kernel-modules' in e) };
}

/**
 * The kernel settings the state records for a host: the current ones, and, for a list whose sweep
 * did not run to success there (a failed run, or one whose playbooks hold no such entry: `--playbook`),
 * also what the previous record named, so that the next full apply still removes their files.
 */
export function recordedKernel(previous: RecordedKernel | undefined, current: KernelConfig, swept: Sweeps): KernelConfig {
  if (!previous) return current;
  const nowListed = new Set(current.modules.map(moduleKey));
  const nowNamed = new Set(Object.keys(current.params).map(moduleKey));
  return {
    modules: swept.modules ? current.modules : [...current.modules, ...(previous.modules ?? []).filter((m) => !nowListed.has(moduleKey(m)))],
    params: swept.modules ? current.params : { ...Object.fromEntries(Object.entries(previous.params ?? {}).filter(([m]) => !nowNamed.has(moduleKey(m)))), ...current.params },
    sysctl: swept.sysctl ? current.sysctl : { ...previous.sysctl, ...current.sysctl },
  };
}
