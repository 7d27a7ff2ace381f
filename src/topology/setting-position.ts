import type { Node, Position } from './model.js';
import { settingPath } from './origin-path.js';
import { rereadSource } from './reread-source.js';
import { positionOf } from './source.js';

/**
 * Where the value of a node's setting (`ssh.identityFile`) is written in its topology file, for an
 * error found after loading; undefined for a built-in value, or a file that cannot be read now.
 */
export function settingPosition(node: Pick<Node, 'origins' | 'position'>, key: string): Position | undefined {
  const path = settingPath(node.origins[key], key);
  const source = path && rereadSource(node.position.file);
  return source && path ? { file: node.position.file, ...positionOf(source, path) } : undefined;
}
