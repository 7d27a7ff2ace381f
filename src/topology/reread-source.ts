import { readFileSync } from 'node:fs';
import { parseSource, type SourceDocument } from './source.js';

/**
 * The topology file parsed again, for the positions of a check made after loading (a cached grid
 * keeps no source); undefined if it cannot be read now.
 */
export function rereadSource(file: string): SourceDocument | undefined {
  try {
    return parseSource(file, readFileSync(file, 'utf8')).source;
  } catch {
    return undefined;
  }
}
