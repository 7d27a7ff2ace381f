import type { Problem } from '../errors/problem.js';
import { normaliseMode } from '../resources/file-state.js';
import { pathToString, positionOf, type PathSegment, type SourceDocument } from '../topology/source.js';

const ATTRIBUTES = ['mode', 'owner', 'group'] as const;

/**
 * `line` entries of one playbook on the same file that set its `mode`, `owner` or `group` to
 * different values: each run would set one, then the other, and the plan would never settle (a
 * change at every run, where an apply then a plan must find none). Reported at the later entry's
 * value, naming the earlier one. Paths are compared as written: two spellings of one file, or a
 * substitution, are not caught here.
 */
export function lineAttributeConflicts(source: SourceDocument, resources: readonly unknown[]): Problem[] {
  const problems: Problem[] = [];
  const first = new Map<string, { index: number; value: string; written: string }>();
  resources.forEach((entry, index) => {
    const line = (entry as { line?: Record<string, unknown> } | null)?.line;
    if (typeof line !== 'object' || line === null || typeof line.path !== 'string') return;
    for (const name of ATTRIBUTES) {
      const written = line[name];
      if (typeof written !== 'string') continue;
      // `644`, `0644` and `00644` are one mode; a mode that is none is its entry's own problem.
      const value = name === 'mode' ? modeOrNothing(written) : written;
      if (value === undefined) continue;
      const key = `${line.path}\0${name}`;
      const earlier = first.get(key);
      if (!earlier) first.set(key, { index, value, written });
      else if (earlier.value !== value) {
        const path: PathSegment[] = ['resources', index, 'line', name];
        problems.push({
          file: source.file,
          ...positionOf(source, path),
          path: pathToString(path),
          message: `${name} "${written}" for ${line.path}, which resources[${earlier.index}] sets to "${earlier.written}": the file would change back and forth at every run`,
          hint: `set ${name} on one of the lines for ${line.path}, or the same value on both`,
        });
      }
    }
  });
  return problems;
}

function modeOrNothing(written: string): string | undefined {
  try {
    return normaliseMode(written);
  } catch {
    return undefined;
  }
}
