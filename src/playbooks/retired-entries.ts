/**
 * Terraform's rule for a playbook's own `sysctl` and `kernel-module` entries, as retired-kernel.ts
 * is for the topology's kernel lists: an entry a playbook declared for a host at its last apply
 * and declares no more is retired, and the next apply removes the file gridops wrote for it (the
 * sysctl.d file; the modules-load.d file and the modprobe.d options). Without this, a key dropped
 * from a playbook came back at every boot from the file gridops had left.
 *
 * The state records, per host and per playbook (by its ref), the keys and modules of those entries
 * (HostState.kernelEntries). An entry is retired when its playbook runs on the host and no longer
 * declares it, or no longer applies to the node (its `onlyWhere`), or, in a run of the grid's own
 * workflow (no `--playbook`), when its playbook is no longer in the host's workflow (the topology
 * dropped it). A run with `--playbook` leaves the entries of the playbooks it does not run as they
 * are, and so does a workflow run with those a `--playbook` run recorded for a playbook outside the
 * workflow (ad-hoc work, as Ansible's: only a run of that playbook retires them). Files only, as for the
 * kernel lists: the running kernel keeps a removed key's value until the next boot, and a module
 * stays loaded. Files that something still manages are spared: another resource of the run
 * (retired-kernel.ts sparingWritten), the topology's kernel lists, a playbook this run leaves out
 * (stillManaged, which the topology's own sweeps spare too). Only these files of gridops' own names
 * are ever removed: a `file` entry's path is the operator's, and gridops leaves it.
 */
import { AbsentPathsResource } from '../resources/absent-paths.js';
import { moduleFiles } from '../resources/kernel-module.js';
import { moduleKey } from '../topology/kernel-names.js';
import { sysctlFiles } from '../resources/sysctl.js';
import type { EntriesByPlaybook, KernelEntries } from '../state/state.js';
import type { KernelConfig } from '../topology/model.js';

/** Entries of `entries` that `still` does not name (modules compared as modprobe reads them). */
function dropped(entries: KernelEntries, still: KernelEntries | undefined): KernelEntries {
  const keys = new Set(still?.sysctl ?? []);
  const modules = new Set((still?.modules ?? []).map(moduleKey));
  return { sysctl: entries.sysctl.filter((k) => !keys.has(k)), modules: entries.modules.filter((m) => !modules.has(moduleKey(m))) };
}

/** Every file gridops writes for these entries. */
function filesOf(entries: KernelEntries): string[] {
  return [...entries.sysctl.flatMap(sysctlFiles), ...entries.modules.flatMap((m) => Object.values(moduleFiles(m)))];
}

/** The files the topology's kernel lists keep, whether or not node-base runs now. */
function kernelListFiles(kernel: KernelConfig): string[] {
  return [...Object.keys(kernel.sysctl).flatMap(sysctlFiles), ...kernel.modules.map((m) => moduleFiles(m).loadFile), ...[...kernel.modules, ...Object.keys(kernel.params)].map((m) => moduleFiles(m).optionsFile)];
}

/** Whether the recorded entries of a playbook this run does not run stay with it (else the run retires them). */
const staysRecorded = (entries: KernelEntries, workflowRun: boolean) => !workflowRun || entries.adHoc === true;

/**
 * The files of entries the state recorded for playbooks this run does not run and does not retire:
 * their playbooks still manage them, and no sweep of this run may remove them.
 */
export function stillManaged(previous: EntriesByPlaybook | undefined, current: EntriesByPlaybook, workflowRun: boolean): Set<string> {
  return new Set(Object.entries(previous ?? {}).flatMap(([ref, entries]) => (!Object.hasOwn(current, ref) && staysRecorded(entries, workflowRun) ? filesOf(entries) : [])));
}

export interface RetireOptions {
  /** This run is the grid's own workflow (no `--playbook`): a recorded playbook it does not run has left the host's workflow. */
  workflowRun: boolean;
  /** The host's kernel settings now: the files of its lists are the topology's, never swept here. */
  kernel: KernelConfig;
  /** Playbooks of the run that do not apply to this node (`onlyWhere`): they declare nothing here. */
  notApplying?: ReadonlySet<string>;
  /** stillManaged's files, when the caller has them already. */
  managed?: ReadonlySet<string>;
}

/**
 * The sweep of the entries `previous` recorded and `current` (each playbook this run runs on the
 * host, with what it declares here now) no longer has: one AbsentPathsResource of literal paths,
 * each with why it goes, or none.
 */
export function retiredEntries(previous: EntriesByPlaybook | undefined, current: EntriesByPlaybook, options: RetireOptions): AbsentPathsResource[] {
  if (!previous) return [];
  const spared = new Set([...Object.values(current).flatMap(filesOf), ...kernelListFiles(options.kernel), ...(options.managed ?? stillManaged(previous, current, options.workflowRun))]);
  const why = new Map<string, string>();
  const retire = (gone: KernelEntries, because: (item: string) => string) => {
    // Under either name gridops has used: a file an older gridops wrote is gridops' to remove too.
    for (const key of gone.sysctl) for (const file of sysctlFiles(key)) why.set(file, `${because(key)}; the running kernel keeps its value until the next boot`);
    for (const m of gone.modules) {
      const reason = `${because(moduleKey(m))}; gridops does not unload it: it stays loaded until it is unloaded or the node reboots`;
      for (const file of Object.values(moduleFiles(m))) why.set(file, reason);
    }
  };
  for (const [ref, entries] of Object.entries(previous)) {
    if (options.notApplying?.has(ref)) retire(entries, (item) => `playbook ${ref} no longer applies to this node (its onlyWhere), nor does its ${item}`);
    else if (Object.hasOwn(current, ref)) retire(dropped(entries, current[ref]), (item) => `${item} left playbook ${ref}`);
    else if (!staysRecorded(entries, options.workflowRun)) retire(entries, (item) => `${item} left the host's workflow with playbook ${ref}`);
  }
  for (const file of spared) why.delete(file);
  return why.size ? [AbsentPathsResource.retired(why)] : [];
}

/**
 * What the state records for a host after a run: on success, what each playbook run declares now
 * (marked `adHoc` for a `--playbook` run's playbook outside `workflowRefs`, the node's workflow),
 * with the entries of the playbooks the run left out that stay recorded (stillManaged); after a
 * failure (a sweep that may not have run), also everything the previous record named, so the
 * next apply still removes it.
 */
export function recordedEntries(previous: EntriesByPlaybook | undefined, current: EntriesByPlaybook, run: { ok: boolean; workflowRun: boolean; workflowRefs: ReadonlySet<string> }): EntriesByPlaybook {
  const record: EntriesByPlaybook = {};
  const add = (ref: string, entries: KernelEntries, adHoc: boolean) => {
    const had = record[ref] ?? { sysctl: [], modules: [], ...(adHoc ? { adHoc: true as const } : {}) };
    const more = dropped(entries, had);
    record[ref] = { ...had, sysctl: [...had.sysctl, ...more.sysctl], modules: [...had.modules, ...more.modules] };
  };
  for (const [ref, entries] of Object.entries(current)) add(ref, entries, !run.workflowRun && !run.workflowRefs.has(ref));
  for (const [ref, entries] of Object.entries(previous ?? {})) {
    if (!run.ok || (!Object.hasOwn(current, ref) && staysRecorded(entries, run.workflowRun))) add(ref, entries, entries.adHoc === true);
  }
  return Object.fromEntries(Object.entries(record).filter(([, e]) => e.sysctl.length || e.modules.length));
}
