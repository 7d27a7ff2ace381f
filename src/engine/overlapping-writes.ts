import { posix } from 'node:path';
import { PlanningError } from '../errors/index.js';
import { KernelModuleResource } from '../resources/kernel-module.js';
import type { Resource } from '../resources/resource.js';

/** A resource of a host's plan with the playbook entry it came from, as an error names it. */
export interface PlacedResource {
  resource: Resource;
  playbook: string;
  index: number;
}

/**
 * Refuses two resources of one host's run (any of its playbooks) that write one path, unless all
 * of them are `line`s (or all one kernel module's: isModule). Why: each writes the whole file from what it computed at plan time, a
 * `line` from the host's read (or the lines before it, PlanContext.lines), never from a planned
 * `file`; so a `file` and a `line` on /etc/app.conf would each undo the other at every run, both
 * reported done (a user's `line` on a file a built-in playbook writes, say). A command's `writes`
 * (its `creates`) is the marker it tests, not content gridops writes there: not compared.
 */
export function refuseOverlappingWrites(nodeName: string, placed: readonly PlacedResource[]): void {
  const writers = new Map<string, PlacedResource[]>();
  for (const p of placed) {
    if (p.resource.kind === 'command') continue;
    for (const path of new Set((p.resource.writes ?? []).map(samePath))) writers.set(path, [...(writers.get(path) ?? []), p]);
  }
  for (const [path, all] of writers) {
    if (all.length < 2 || all.every((p) => p.resource.kind === 'line') || all.every(isModule)) continue;
    // The first entry that is not a line, with the first other one it clashes with, in the run's order.
    const whole = all.find((p) => p.resource.kind !== 'line')!;
    const other = all.find((p) => p !== whole && !(isModule(p) && isModule(whole)))!;
    const [first, second] = [whole, other].sort((a, b) => placed.indexOf(a) - placed.indexOf(b));
    throw new PlanningError(
      `${nodeName}: ${entryName(first!)} and ${entryName(second!)} both write ${path}: each would undo what the other wrote, at every run`,
      "manage the whole file in one place: put the line into the file's content or template, or drop one of the two entries",
    );
  }
}

/**
 * Kernel-module resources on one path are one module's (its files are named after it): a playbook's
 * `kernel-module`, and its options from kernel.params by `kernel-modules`, both write its modprobe.d
 * file from the same kernel.params, alike.
 */
function isModule(p: PlacedResource): boolean {
  return p.resource instanceof KernelModuleResource;
}

function entryName(p: PlacedResource): string {
  return `playbook ${p.playbook}, resources[${p.index}] (${p.resource.kind})`;
}

/** The path as the host resolves it by name: `/etc//app.conf/` is `/etc/app.conf`. */
function samePath(path: string): string {
  const normal = posix.normalize(path);
  return normal.length > 1 ? normal.replace(/\/+$/, '') : normal;
}
