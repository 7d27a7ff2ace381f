import { statSync } from 'node:fs';
import type { Problem } from '../errors/problem.js';
import type { Grid, Node } from './model.js';
import { settingPath } from './origin-path.js';
import { rereadSource } from './reread-source.js';
import { pathToString, positionOf, writtenAt } from './source.js';
import { printableJson } from '../text/printable-json.js';
import { printableText } from '../text/printable-text.js';

/**
 * Each `hypervisor.sandbox.image` of `nodes` (those that will upload it) that is not a file on this
 * machine, at the line that names it, once per place. Checked on every run, not kept with the
 * validated grid: it depends on the files here now, not on the topology's bytes. The topology is
 * read again for the positions only when an image is missing (a cached grid has no source).
 */
export function imageFileProblems(grid: Grid, nodes: readonly Node[]): Problem[] {
  const missing = new Map<string, { node: Node; image: string }>();
  for (const node of nodes) {
    const image = node.settings.hypervisor.sandbox.image;
    const origin = node.origins['hypervisor.sandbox.image'] ?? node.name;
    if (image === undefined || missing.has(origin) || isFile(image)) continue;
    missing.set(origin, { node, image });
  }
  if (!missing.size) return [];
  const source = rereadSource(grid.file);
  return [...missing].map(([origin, { node, image }]) => {
    const path = settingPath(origin, 'hypervisor.sandbox.image');
    const written = source && path ? writtenAt(source, path) : undefined;
    return {
      ...(source && path ? { file: grid.file, ...positionOf(source, path) } : node.position),
      path: path ? pathToString(path) : '',
      message: `hypervisor.sandbox.image ${printableJson(typeof written === 'string' ? written : image)} does not exist on this machine (${printableText(image)})`,
      hint: `build one with \`gridops lab image --out ${printableText(image)}\`, or point hypervisor.sandbox.image at a raw or qcow2 disk image (a relative path is relative to the topology file)`,
    };
  });
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
