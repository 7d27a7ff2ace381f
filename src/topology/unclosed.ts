import { isCollection, isScalar, visit, type Document, type LineCounter, type YAMLError } from 'yaml';

/** A `{`, `[` or quote that is never closed, said at the character that opened it. */
export interface Unclosed {
  /** Where the opening character is. */
  offset: number;
  /** Where yaml gave up looking for the closer: what lies between was read as part of it. */
  gaveUpAt: number;
  message: string;
  hint: string;
}

/** yaml's words for an unclosed flow collection ("…must be sufficiently indented and end with a }") and for an unclosed quote. */
const FLOW_NOT_ENDED = /\bend with an? ([}\]])/;
const QUOTE_NOT_ENDED = /^Missing closing (["'])quote/;

const OPENER: Record<string, string> = { '}': '{', ']': '[', '"': '"', "'": "'" };

/**
 * yaml reports an unclosed `{`, `[` or quote where it gave up looking for the closer: the start
 * of the next line that is not part of it, or the end of the file, often lines below the mistake.
 * The node it composed all the same starts at the opening character and ends at that very
 * offset, so the innermost such node is the one left open. Undefined for any other error, or
 * when no node fits (then the error's own position is the best there is).
 */
export function unclosedOpening(doc: Document.Parsed, text: string, lines: LineCounter, err: YAMLError): Unclosed | undefined {
  const closer = FLOW_NOT_ENDED.exec(err.message)?.[1] ?? QUOTE_NOT_ENDED.exec(err.message)?.[1];
  if (!closer) return undefined;
  const opener = OPENER[closer]!;
  const quote = closer === '"' || closer === "'";
  const gaveUpAt = err.pos[0];
  let offset: number | undefined;
  visit(doc, {
    Node(_key, node) {
      const [start, end] = node.range ?? [];
      if (start === undefined || end !== gaveUpAt || text[start] !== opener) return;
      if (quote ? !isScalar(node) : !(isCollection(node) && node.flow)) return;
      // Visited outside in: a later match starts inside an earlier one, so it is the innermost.
      if (offset === undefined || start > offset) offset = start;
    },
  });
  if (offset === undefined) return undefined;
  const [opened, gaveUp] = [lines.linePos(offset), lines.linePos(gaveUpAt)];
  const before = gaveUp.line === opened.line ? `column ${gaveUp.col}` : `line ${gaveUp.line}`;
  const notClosed = text.slice(gaveUpAt).trim() === '' ? 'is never closed' : `is not closed before ${before}`;
  if (quote) {
    const inside = closer === '"' ? 'write a " inside it as \\"' : "write a ' inside it as ''";
    return { offset, gaveUpAt, message: `the ${closer} that opens this string ${notClosed}`, hint: `add the closing ${closer} where the string ends; ${inside}` };
  }
  const what = closer === '}' ? 'mapping' : 'list';
  return {
    offset,
    gaveUpAt,
    message: `the ${opener} that opens this ${what} ${notClosed}`,
    hint: `add the closing ${closer} where the ${what} ends; lines that continue it must be indented more than its key`,
  };
}
