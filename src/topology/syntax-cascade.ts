import type { LayoutLine } from './layout-lines.js';

/**
 * Of yaml's syntax errors (each with its 1-based line), the first of each cascade, in file order.
 *
 * Past a syntax error yaml goes on reading, but what it reads in the block around the mistake is
 * a guess built on it: a list of 60 nodes left without its `nodes:` key gives three errors per
 * node, all saying the same thing in parser words. So after an error, later errors are dropped
 * on its line and on the lines below it indented more than it (its block, or the blocks the
 * mistake broke open), up to the first line indented no more than the error's line: that line
 * starts a sibling or an outer entry, which the mistake did not reach, so errors from there on
 * are independent again and reported (the next cascade starts at the next one kept).
 */
export function firstOfEachCascade<T extends { line: number; offset: number }>(errors: readonly T[], lines: ReadonlyArray<LayoutLine | undefined>): T[] {
  const kept: T[] = [];
  let cascadeEnd = -Infinity;
  for (const err of [...errors].sort((a, b) => a.offset - b.offset)) {
    if (err.line < cascadeEnd) continue;
    kept.push(err);
    cascadeEnd = endOfBlock(lines, err.line);
  }
  return kept;
}

/** The first line after `line` with content indented no more than `line` (or the line past the end): where its block ends. */
function endOfBlock(lines: ReadonlyArray<LayoutLine | undefined>, line: number): number {
  let own: LayoutLine | undefined;
  // An error on a blank line (or past the end) belongs to the content above it.
  for (let i = line - 1; i >= 0 && !own; i--) own = lines[i];
  const indent = own?.indent ?? 0;
  for (let i = line; i < lines.length; i++) {
    const l = lines[i];
    if (l && l.indent <= indent) return l.line;
  }
  return Infinity;
}
