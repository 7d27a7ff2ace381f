import { readFileSync } from 'node:fs';
import { InputFileError } from '../errors/index.js';
import { topologyText } from './file-text.js';
import { parseSource, type SourceDocument } from './source.js';

/**
 * The topology file parsed again, for the positions of a check made after loading (a cached grid
 * keeps no source); undefined if it cannot be read now.
 */
export function rereadSource(file: string): SourceDocument | undefined {
  try {
    return parseSource(file, topologyText(readFileSync(file))).source;
  } catch {
    return undefined;
  }
}

/**
 * The topology file parsed again, for a check whose problems must carry positions: a file that
 * cannot be read now (moved or deleted since it was loaded) stops the run, where an empty list of
 * problems would have let it pass unchecked.
 */
export function rereadSourceForCheck(file: string, check: string): SourceDocument {
  const source = rereadSource(file);
  if (source === undefined) throw new InputFileError(`cannot read ${file} again to check ${check} (moved or deleted since it was loaded?)`, 'run the command again once the topology file is in place');
  return source;
}

/** A topology file parsed again (rereadSource), or undefined where it cannot be read now. */
export type RereadSources = (file: string) => SourceDocument | undefined;

/**
 * rereadSource of each file, on first use, kept for the caller's run: messages that name several
 * settings of one file (one per node) then read and parse it once, not once per message.
 */
export function rereadSourcesOnce(): RereadSources {
  const sources = new Map<string, SourceDocument | undefined>();
  return (file) => {
    if (!sources.has(file)) sources.set(file, rereadSource(file));
    return sources.get(file);
  };
}
