import { allNodes, type Grid, type Node } from './model.js';
import type { Problem } from '../errors/problem.js';
import { settingPath } from './origin-path.js';
import { pathToString, positionOf, type SourceDocument } from './source.js';

/** Settings that only the hypervisor playbook reads, which runs where `hypervisor.enabled` is true. */
const HYPERVISOR_ONLY = ['hypervisor.sandbox.vcpus', 'hypervisor.sandbox.memoryMiB', 'hypervisor.sandbox.cpuShares', 'hypervisor.sandbox.network', 'hypervisor.sandbox.image', 'hypervisor.hostReserveMiB'];

/**
 * A setting written where it does nothing: a sandbox setting every node it reaches has
 * `hypervisor.enabled: false` (the default), as when `enabled: true` was forgotten. Warned at the
 * place it is written, once; not where at least one node that inherits it runs the hypervisor.
 */
export function inertSettings(grid: Grid, source: SourceDocument): Problem[] {
  const warnings: Problem[] = [];
  const nodes = allNodes(grid);
  const origin = (n: Node, key: string) => n.origins[key];
  for (const key of HYPERVISOR_ONLY) {
    const used = new Set(nodes.filter((n) => n.settings.hypervisor.enabled).map((n) => origin(n, key)));
    const inert = new Set(nodes.filter((n) => !n.settings.hypervisor.enabled).map((n) => origin(n, key)).filter((o): o is string => o !== undefined && o !== 'built-in' && !used.has(o)));
    for (const o of inert) {
      const path = settingPath(o, key)!;
      warnings.push({ file: source.file, ...positionOf(source, path), path: pathToString(path), message: `${key} does nothing here: hypervisor.enabled is false on every node it applies to`, hint: 'set `hypervisor: { enabled: true }` where the sandbox VM should run, or remove this setting' });
    }
  }
  return warnings;
}
