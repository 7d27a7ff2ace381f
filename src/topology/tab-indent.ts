import type { LayoutMistake } from './layout-lines.js';

/**
 * The 1-based column of the first tab in the leading whitespace of line `line` (1-based) of
 * `text`, if it has one. YAML indents with spaces only; the layout heuristics (misindented-line,
 * orphan-list) count a tab as one column, so a tab must be said before they guess a column.
 */
export function tabInIndent(text: string, line: number): number | undefined {
  const raw = text.split(/\r?\n/)[line - 1] ?? '';
  const indent = /^[ \t]*/.exec(raw)![0];
  const at = indent.indexOf('\t');
  return at < 0 ? undefined : at + 1;
}

/** A line indented with a tab, said at the tab: no column is guessed, since a tab's width is the editor's. */
export function tabIndentMistake(line: number, column: number): LayoutMistake {
  return {
    line,
    column,
    message: 'YAML syntax error: this line is indented with a tab; YAML indents with spaces only',
    hint: 'replace the tab with spaces, lining this line up with the lines it belongs with (set your editor to insert spaces in YAML files)',
  };
}
