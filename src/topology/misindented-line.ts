import { contentBefore, leftEdgeAbove, type LayoutLine, type LayoutMistake } from './layout-lines.js';

/**
 * How far off its sibling a line may start and still be taken for that sibling: indentation
 * steps in a topology are two spaces, so a line a column or two off the list item or key above
 * it is a slip of the hand; one further off may be meant as something else (a nested list, an
 * outer entry), and then no column is guessed.
 */
const SLIP = 2;

/**
 * A list item or mapping key whose line starts a column or two off the sibling it follows (a
 * node indented by 9 spaces among nodes indented by 10), with the column it should start at.
 * Undefined when the line's column is one the lines above use for the same kind of entry (it
 * may close their blocks, which is fine), when the line above leaves its value to the lines
 * below (any deeper indentation is then a valid start), or when no sibling is near enough.
 */
export function misindentedLine(lines: ReadonlyArray<LayoutLine | undefined>, errorLine: number): LayoutMistake | undefined {
  const line = lines[errorLine - 1];
  const above = contentBefore(lines, errorLine);
  if (!line || !above || above.opens || (!line.item && !line.key)) return undefined;
  // Where this line's entry starts, and where each line above starts an entry of the same kind.
  const start = line.indent;
  const startOf = (l: LayoutLine) => (line.item ? (l.item ? l.indent : undefined) : l.key?.column);
  const edge = leftEdgeAbove(lines, errorLine);
  if (edge.some((l) => startOf(l) === start)) return undefined;
  const sibling = edge.find((l) => startOf(l) !== undefined && Math.abs(startOf(l)! - start) <= SLIP);
  if (!sibling) return undefined;
  const column = startOf(sibling)! + 1;
  const like = sibling === above && sibling.indent === column - 1 ? 'the line above it' : line.item ? `the list item on line ${sibling.line}` : `\`${sibling.key!.name}:\` on line ${sibling.line}`;
  return {
    line: errorLine,
    column: start + 1,
    message: `YAML syntax error: this line starts at column ${start + 1}, not in line with ${like} (column ${column})`,
    hint: `indent this line like ${like} (column ${column})`,
  };
}
