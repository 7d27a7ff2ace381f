/**
 * One line of a YAML file as its layout shows it, read from the text alone: after a syntax
 * error the parsed document no longer says what the file meant, but the indentation still does.
 */
export interface LayoutLine {
  /** 1-based line number. */
  line: number;
  /** Leading spaces. */
  indent: number;
  /** Starts a block sequence item (`- `). */
  item: boolean;
  /** The key of the mapping entry the line starts (after its `- `, if any), with its 0-based column. */
  key?: { name: string; column: number };
  /** What follows the key's colon or the item's dash, comments left out. */
  value: string;
  /** The line leaves its value to the lines below it (`key:`, a bare `-`, `|`, `>`, an open `{` or `[`): lines indented more are its content. */
  opens: boolean;
}

/** A layout mistake said in the user's terms, at the line where it shows (1-based line and column). */
export interface LayoutMistake {
  line: number;
  column: number;
  message: string;
  hint: string;
}

const KEY = /^("[^"]*"|'[^']*'|[^\s#'"{[\-?:][^#]*?)\s*:(?=\s|$)/;

/** The file's lines by line number (index 0 is line 1); blank and comment-only lines are undefined. */
export function layoutLines(text: string): Array<LayoutLine | undefined> {
  return text.split(/\r?\n/).map((raw, i) => {
    const indent = raw.length - raw.trimStart().length;
    let rest = raw.slice(indent);
    if (rest === '' || rest.startsWith('#')) return undefined;
    const item = /^-(\s|$)/.test(rest);
    let column = indent;
    if (item) {
      const dashed = /^-\s*/.exec(rest)![0];
      column += dashed.length;
      rest = rest.slice(dashed.length);
    }
    const key = KEY.exec(rest);
    const value = (key ? rest.slice(key[0].length) : rest).replace(/(^|\s)#.*$/, '').trim();
    const opens = value === '' || /^[|>][-+0-9]*$/.test(value) || /[{[,]$/.test(value);
    const name = key?.[1]?.replace(/^(["'])(.*)\1$/, '$2');
    return { line: i + 1, indent, item, ...(name !== undefined ? { key: { name, column } } : {}), value, opens };
  });
}

/** The nearest line with content before line `line` (1-based). */
export function contentBefore(lines: ReadonlyArray<LayoutLine | undefined>, line: number): LayoutLine | undefined {
  for (let i = line - 2; i >= 0; i--) if (lines[i]) return lines[i];
  return undefined;
}

/** The nearest line with content after line `line` (1-based). */
export function contentAfter(lines: ReadonlyArray<LayoutLine | undefined>, line: number): LayoutLine | undefined {
  for (let i = line; i < lines.length; i++) if (lines[i]) return lines[i];
  return undefined;
}

/**
 * The lines above `line` that it could line up with, nearest first: each indented less than
 * every line between it and `line`, the way an outline's left edge runs.
 */
export function leftEdgeAbove(lines: ReadonlyArray<LayoutLine | undefined>, line: number): LayoutLine[] {
  const edge: LayoutLine[] = [];
  let below = Infinity;
  for (let i = line - 2; i >= 0; i--) {
    const l = lines[i];
    if (l && l.indent < below) {
      edge.push(l);
      below = l.indent;
    }
  }
  return edge;
}
