import type { Node, Position } from './model.js';
import { settingPath } from './origin-path.js';
import { rereadSource, type RereadSources } from './reread-source.js';
import { positionOf } from './source.js';

/**
 * A node's setting `key` named where the topology set it, for the messages about its value:
 * `ssh.identityFile of defaults at FILE:LINE:COLUMN` (`in FILE` where that file cannot be read now),
 * so every message of one run names it alike; undefined where gridops' built-in value is in force.
 * `sourceOf` rereads the topology file: a caller naming many settings passes one that keeps it (rereadSourcesOnce).
 */
export function settingNamed(node: Pick<Node, 'origins' | 'position'>, key: string, sourceOf: RereadSources = rereadSource): string | undefined {
  const origin = node.origins[key];
  if (!origin || origin === 'built-in') return undefined;
  const at = settingPosition(node, key, sourceOf);
  return `${key} of ${origin} ${at ? `at ${at.file}:${at.line}:${at.column}` : `in ${node.position.file}`}`;
}

/**
 * Where the value of a node's setting (`ssh.identityFile`) is written in its topology file, for an
 * error found after loading; undefined for a built-in value, or a file that cannot be read now.
 */
function settingPosition(node: Pick<Node, 'origins' | 'position'>, key: string, sourceOf: RereadSources): Position | undefined {
  const path = settingPath(node.origins[key], key);
  const source = path && sourceOf(node.position.file);
  return source && path ? { file: node.position.file, ...positionOf(source, path) } : undefined;
}
