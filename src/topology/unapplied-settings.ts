import { allNodes, type Grid, type Node } from './model.js';
import type { Problem } from '../errors/problem.js';
import { settingPath } from './origin-path.js';
import { pathToString, positionOf, type SourceDocument } from './source.js';

/**
 * A setting that the schema accepts but no playbook applies yet. It must never pass silently:
 * `validate`, `plan` and `apply` warn, at the place where it is written, until it works.
 * When a playbook starts applying one, its entry leaves this list.
 */
export interface UnappliedSetting {
  /** Dotted setting, e.g. `qos.egressMbit`. */
  key: string;
  /** Whether this node's effective value asks for something. */
  asked: (node: Node) => boolean;
  message: string;
  hint: string;
}

/**
 * Empty today: `hypervisor.enabled` (the hypervisor playbook) and `qos.egressMbit` (the qos
 * playbook's egress-limit) left it when they started to work. A new setting accepted before its
 * playbook exists goes here, with the warning that says so.
 */
export const UNAPPLIED: readonly UnappliedSetting[] = [];

/** One warning per place where an unapplied setting is written (not one per node inheriting it). */
export function unappliedSettings(grid: Grid, source: SourceDocument, settings: readonly UnappliedSetting[] = UNAPPLIED): Problem[] {
  const warnings: Problem[] = [];
  for (const setting of settings) {
    const origins = new Set(allNodes(grid).filter(setting.asked).map((n) => n.origins[setting.key]).filter((o): o is string => o !== undefined && o !== 'built-in'));
    for (const origin of origins) {
      const path = settingPath(origin, setting.key)!;
      warnings.push({ file: source.file, ...positionOf(source, path), path: pathToString(path), message: setting.message, hint: setting.hint });
    }
  }
  return warnings;
}
