import type { Node } from './model.js';
import { settingPosition } from './setting-position.js';

/**
 * A node's setting `key` named where the topology set it, for the messages about its value:
 * `ssh.identityFile of defaults at FILE:LINE:COLUMN` (`in FILE` where that file cannot be read now),
 * so every message of one run names it alike; undefined where gridops' built-in value is in force.
 */
export function settingNamed(node: Pick<Node, 'origins' | 'position'>, key: string): string | undefined {
  const origin = node.origins[key];
  if (!origin || origin === 'built-in') return undefined;
  const at = settingPosition(node, key);
  return `${key} of ${origin} ${at ? `at ${at.file}:${at.line}:${at.column}` : `in ${node.position.file}`}`;
}
