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
