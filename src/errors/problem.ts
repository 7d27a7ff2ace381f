/** One thing wrong with an input file, at a precise position (1-based line and column). */
export interface Problem {
  file: string;
  line: number;
  column: number;
  /** JSON pointer-ish path inside the document, e.g. `regions[0].subgrids[1].nodes[2].name`. */
  path: string;
  message: string;
  hint?: string;
}

/** `FILE:LINE:COLUMN: message` plus an indented hint line, as compilers print them. */
export function formatProblem(p: Problem): string {
  const head = `${p.file}:${p.line}:${p.column}: ${p.message}`;
  return p.hint ? `${head}\n  hint: ${p.hint}` : head;
}

/** A problem of the command line (no file holds it), as formatProblem prints one of a file. */
export function formatCommandLineProblem(p: { message: string; hint?: string }): string {
  return p.hint ? `command line: ${p.message}\n  hint: ${p.hint}` : `command line: ${p.message}`;
}

/** Problems in reading order: file by file, in the order the files first appear, then by line and column (stable within one position). */
export function inReadingOrder(problems: readonly Problem[]): Problem[] {
  const fileOrder = new Map<string, number>();
  for (const p of problems) if (!fileOrder.has(p.file)) fileOrder.set(p.file, fileOrder.size);
  return [...problems].sort((a, b) => fileOrder.get(a.file)! - fileOrder.get(b.file)! || a.line - b.line || a.column - b.column);
}

/**
 * Each problem once: a value written once under an anchor and used again through aliases is
 * checked at every use, and each use points back at the one place it is written. One mistake,
 * one line (and one in the count).
 */
export function withoutRepeats(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const id = `${p.file}\0${p.line}\0${p.column}\0${p.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** Problems printed at most: past a screenful, the first ones are what a user fixes next. */
export const PROBLEMS_SHOWN = 50;

/** Each problem as formatProblem prints it, the first `shown` of them and a line that counts the rest. */
export function formatProblems(problems: readonly Problem[], shown = PROBLEMS_SHOWN): string[] {
  const lines = problems.slice(0, shown).map(formatProblem);
  const more = problems.length - shown;
  if (more > 0) lines.push(`... and ${more} more (--json lists every problem)`);
  return lines;
}
