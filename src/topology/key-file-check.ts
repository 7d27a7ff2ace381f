import type { Problem } from '../errors/problem.js';
import { allNodes, type Grid } from './model.js';
import { settingPath } from './origin-path.js';
import { pathToString, positionOf, writtenAt, type PathSegment, type SourceDocument } from './source.js';
import { printableJson } from '../text/printable-json.js';

/**
 * A grid has one key, which every agent needs (phases/load-secrets.ts places the one file on every
 * node): a second `agent.keyFile` (compared resolved, so `keys/a` and `./keys/a` are one file) is an
 * error where it is written, naming the first, instead of a plan that stops after connecting.
 */
export function keyFileProblems(grid: Grid, source: SourceDocument): Problem[] {
  const places: Array<{ origin: string; file: string; path: PathSegment[] }> = [];
  for (const node of allNodes(grid)) {
    const file = node.settings.agent.keyFile;
    const origin = node.origins['agent.keyFile'];
    const path = settingPath(origin, 'agent.keyFile');
    if (file === undefined || origin === undefined || path === undefined || places.some((p) => p.origin === origin)) continue;
    places.push({ origin, file, path });
  }
  // The first in reading order is the grid's key: defaults before regions, a region before its nodes.
  const ordered = places.map((p) => ({ ...p, at: positionOf(source, p.path) })).sort((a, b) => a.at.line - b.at.line || a.at.column - b.at.column);
  const first = ordered[0];
  if (!first) return [];
  return ordered
    .filter((p) => p.file !== first.file)
    .map((p) => ({
      file: source.file,
      ...p.at,
      path: pathToString(p.path),
      message: `agent.keyFile ${printableJson(writtenAt(source, p.path))} is not the grid's key file ${printableJson(writtenAt(source, first.path))} (line ${first.at.line}): a grid has one key, which every node's agent shares`,
      hint: 'set agent.keyFile once, under defaults, and remove the others',
    }));
}
