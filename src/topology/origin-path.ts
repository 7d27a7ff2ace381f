import type { Origin } from './model.js';
import type { PathSegment } from './source.js';

/**
 * Where a node's effective setting is written in the file: its origin (`defaults`,
 * `regions[0].subgrids[1]`, a node's path) and the dotted key (`agent.port`) as path segments,
 * or undefined for a built-in value, which no line of the file holds.
 */
export function settingPath(origin: Origin | undefined, key: string): PathSegment[] | undefined {
  if (!origin || origin === 'built-in') return undefined;
  const segments: PathSegment[] = [];
  for (const m of origin.matchAll(/([A-Za-z]+)(?:\[(\d+)\])?/g)) {
    segments.push(m[1]!);
    if (m[2] !== undefined) segments.push(Number(m[2]));
  }
  return [...segments, ...key.split('.')];
}
