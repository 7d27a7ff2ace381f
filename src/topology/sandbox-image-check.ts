import type { Problem } from '../errors/problem.js';
import { namedFew } from '../named-few.js';
import type { Node } from './model.js';
import { settingPath } from './origin-path.js';
import { pathToString, positionOf, type SourceDocument } from './source.js';

/**
 * `hypervisor.enabled: true` on a node of `nodes` (those whose run reads the image) that inherits no
 * `hypervisor.sandbox.image`: the hypervisor playbook has no VM to define there. An error at the
 * line that enables it (once per place, naming the nodes), so validate says it rather than each
 * node's plan after connecting.
 */
export function missingImageSettingProblems(source: SourceDocument, nodes: readonly Node[]): Problem[] {
  const byOrigin = new Map<string, Node[]>();
  for (const node of nodes) {
    const origin = node.origins['hypervisor.enabled'];
    if (!node.settings.hypervisor.enabled || node.settings.hypervisor.sandbox.image !== undefined || origin === undefined) continue;
    byOrigin.set(origin, [...(byOrigin.get(origin) ?? []), node]);
  }
  return [...byOrigin].flatMap(([origin, nodes]) => {
    const path = settingPath(origin, 'hypervisor.enabled');
    if (path === undefined) return [];
    return [{
      file: source.file,
      ...positionOf(source, path),
      path: pathToString(path),
      message: `hypervisor.enabled is true for ${namedFew(nodes.map((n) => n.name))}, but no hypervisor.sandbox.image is set for the sandbox VM`,
      hint: 'name a bootable disk image (raw or qcow2, relative to the topology file) under hypervisor.sandbox.image, e.g. under defaults; `gridops lab image --out FILE` builds a minimal one',
    }];
  });
}
