/**
 * Terraform's rule for a playbook's own `sysctl` and `kernel-module` entries, as retired-kernel.ts
 * is for the topology's kernel lists: an entry a playbook declared for a host at its last apply
 * and declares no more is retired, and the next apply removes the file gridops wrote for it (the
 * sysctl.d file; the modules-load.d file and the modprobe.d options). Without this, a key dropped
 * from a playbook came back at every boot from the file gridops had left.
 *
 * The state records, per host and per playbook (by its ref), the keys and modules of those entries
 * (HostState.kernelEntries). An entry is retired when its playbook runs on the host and no longer
 * declares it, or, in a run of the grid's own workflow (no `--playbook`), when its playbook is no
 * longer in the host's workflow (dropped from the topology, or `onlyWhere` no longer holds). A run
 * with `--playbook` leaves the entries of the playbooks it does not run as they are, and so does
 * their files. Files only, as for the kernel lists: the running kernel keeps a removed key's value
 * until the next boot, and a module stays loaded. Files that something still manages are spared:
 * another resource of the run (retired-kernel.ts sparingWritten), the topology's kernel lists, a
 * playbook this run does not run. Only gridops' own file names (90-gridops-*, gridops-*, zz-gridops-*)
 * are ever removed: a `file` entry's path is the operator's, and gridops does not remove it.
 */
import { AbsentPathsResource } from '../resources/absent-paths.js';
import { moduleFiles, moduleKey } from '../resources/kernel-module.js';
import type { Resource } from '../resources/resource.js';
import { sysctlFile } from '../resources/sysctl.js';
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
  return [...entries.sysctl.map(sysctlFile), ...entries.modules.flatMap((m) => Object.values(moduleFiles(m)))];
}

/** The files the topology's kernel lists keep, whether or not node-base runs now. */
function kernelListFiles(kernel: KernelConfig): string[] {
  return [...Object.keys(kernel.sysctl).map(sysctlFile), ...kernel.modules.map((m) => moduleFiles(m).loadFile), ...[...kernel.modules, ...Object.keys(kernel.params)].map((m) => moduleFiles(m).optionsFile)];
}

export interface RetireOptions {
  /** This run is the grid's own workflow (no `--playbook`): a recorded playbook it does not run has left the host's workflow. */
  workflowRun: boolean;
  /** The host's kernel settings now: the files of its lists are the topology's, never swept here. */
  kernel: KernelConfig;
}

/**
 * The sweep of the entries `previous` recorded and `current` (the playbooks this run runs on the
 * host, each with what it declares now) no longer has: one AbsentPathsResource of literal paths,
 * each with why it goes, or none.
 */
export function retiredEntries(previous: EntriesByPlaybook | undefined, current: EntriesByPlaybook, options: RetireOptions): Resource[] {
  if (!previous) return [];
  const spared = new Set([...Object.values(current).flatMap(filesOf), ...kernelListFiles(options.kernel)]);
  const why = new Map<string, string>();
  const retire = (ref: string, gone: KernelEntries, left: string) => {
    for (const key of gone.sysctl) why.set(sysctlFile(key), `${key} ${left} ${ref}; the running kernel keeps its value until the next boot`);
    for (const m of gone.modules) {
      const reason = `${moduleKey(m)} ${left} ${ref}; gridops does not unload it: it stays loaded until it is unloaded or the node reboots`;
      for (const file of Object.values(moduleFiles(m))) why.set(file, reason);
    }
  };
  for (const [ref, entries] of Object.entries(previous)) {
    if (Object.hasOwn(current, ref)) retire(ref, dropped(entries, current[ref]), 'left playbook');
    else if (options.workflowRun) retire(ref, entries, "left the host's workflow with playbook");
    else for (const file of filesOf(entries)) spared.add(file);
  }
  for (const file of spared) why.delete(file);
  return why.size ? [AbsentPathsResource.retired(why)] : [];
}

/**
 * What the state records for a host after a run: on success, what each playbook run declares now,
 * and, for a run with `--playbook`, the entries of the playbooks it did not run; after a failure
 * (a sweep that may not have run), also everything the previous record named, so the next apply
 * still removes it.
 */
export function recordedEntries(previous: EntriesByPlaybook | undefined, current: EntriesByPlaybook, run: { ok: boolean; workflowRun: boolean }): EntriesByPlaybook {
  const record: EntriesByPlaybook = {};
  const add = (ref: string, entries: KernelEntries) => {
    const had = record[ref] ?? { sysctl: [], modules: [] };
    const more = dropped(entries, had);
    record[ref] = { sysctl: [...had.sysctl, ...more.sysctl], modules: [...had.modules, ...more.modules] };
  };
  for (const [ref, entries] of Object.entries(current)) add(ref, entries);
  for (const [ref, entries] of Object.entries(previous ?? {})) {
    if (!run.ok || (!run.workflowRun && !Object.hasOwn(current, ref))) add(ref, entries);
  }
  return Object.fromEntries(Object.entries(record).filter(([, e]) => e.sysctl.length || e.modules.length));
}
