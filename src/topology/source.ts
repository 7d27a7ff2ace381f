import { LineCounter, parseDocument, isAlias, isMap, isPair, isScalar, isSeq, visit, type Alias, type Document, type Node as YamlNode } from 'yaml';
import type { Problem } from '../errors/problem.js';
import { unclosedOpening, type Unclosed } from './unclosed.js';
import { contentAfter, contentBefore, layoutLines, type LayoutLine } from './layout-lines.js';
import { firstOfEachCascade } from './syntax-cascade.js';
import { orphanList } from './orphan-list.js';
import { misindentedLine } from './misindented-line.js';
import { firstUseOfKey } from './duplicate-key.js';
import { tabInIndent, tabIndentMistake } from './tab-indent.js';
import { unresolvedAliases } from './unresolved-alias.js';
import { printableJson } from '../text/printable-json.js';

/**
 * A YAML document with its source positions, so every problem found later, even one found
 * on the merged model, can be reported at `file:line:column`.
 */
export interface SourceDocument {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
  /**
   * The plain JavaScript value, or undefined when the document's shape is not known: a syntax
   * error, aliases that expand too much, not a mapping. A duplicate key, a second document or a
   * refused tag is a problem, but leaves a value to check further (so one run reports them all).
   */
  value: unknown;
  /** The offsets (start, end) of values written with a refused tag: their problem is the tag, already reported. */
  tagged?: Array<[number, number]>;
}

/** Aliases beyond this count are treated as an attempt to blow up memory (billion laughs). */
export const MAX_ALIAS_COUNT = 100;
/** Refuse files bigger than this before parsing: a topology of 100 000 nodes fits well below. */
export const MAX_FILE_BYTES = 32 * 1024 * 1024;

export type PathSegment = string | number;

/** The tags of plain JSON-like values, harmless when written explicitly. */
const PLAIN_TAGS = new Set(['tag:yaml.org,2002:str', 'tag:yaml.org,2002:int', 'tag:yaml.org,2002:float', 'tag:yaml.org,2002:bool', 'tag:yaml.org,2002:null', 'tag:yaml.org,2002:map', 'tag:yaml.org,2002:seq']);

export function pathToString(path: readonly PathSegment[]): string {
  return path.reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
}

/** Flow collections nested deeper than this are refused before parsing (the parser recurses). */
export const MAX_FLOW_DEPTH = 64;

/** The offset of the first `[` or `{` nested deeper than MAX_FLOW_DEPTH outside quotes and comments, if any. */
function tooDeepAt(text: string): number | undefined {
  let depth = 0;
  let quote: string | undefined;
  let comment = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (comment) {
      if (c === '\n') comment = false;
    } else if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) comment = true;
    else if (c === '[' || c === '{') {
      if (++depth > MAX_FLOW_DEPTH) return i;
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return undefined;
}

/** What a file that is empty or not a mapping is told to start with, when nothing else is said: a topology's first keys. */
const TOPOLOGY_START = 'start the file with `apiVersion: gridops/v1` and `kind: Grid`; see examples/small.yaml';

/**
 * Parses `text` with positions. `startHint`: what a file that is empty or not a mapping is told
 * to start with (a playbook starts otherwise than a topology, which is the default).
 */
export function parseSource(file: string, text: string, startHint = TOPOLOGY_START): { source: SourceDocument; problems: Problem[] } {
  const lines = new LineCounter();
  const deep = tooDeepAt(text);
  if (deep !== undefined) {
    // Count lines ourselves: the document is never parsed, so the LineCounter stays empty.
    const before = text.slice(0, deep).split('\n');
    const problem: Problem = { file, line: before.length, column: before[before.length - 1]!.length + 1, path: '', message: `the document nests more than ${MAX_FLOW_DEPTH} levels deep`, hint: 'a topology nests a few levels (regions > sub-grids > nodes); check for runaway brackets' };
    return { source: { file, doc: parseDocument(''), lines, value: undefined }, problems: [problem] };
  }
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, merge: false, strict: true });
  const problems: Problem[] = [];
  const at = (offset: number) => lines.linePos(offset);

  // An unclosed `{`, `[` or quote is said at its opening character (unclosed.ts). What yaml then
  // found wrong in the text it swallowed follows from it, and so does an open collection around
  // another unclosed opening (a string that took the `}` with it, say): those are left out.
  const openings = doc.errors.map((err) => unclosedOpening(doc, text, lines, err));
  const within = (offset: number, u: Unclosed | undefined) => u !== undefined && u.offset < offset && offset <= u.gaveUpAt;
  // Past a syntax error the document's shape is a guess: nothing more is checked. A duplicate key
  // or a second document leaves the first document's shape known, so the checks go on.
  let shapeKnown = true;
  // Syntax errors in yaml's words: kept apart, since one mistake makes many (syntax-cascade.ts).
  const syntax: Array<{ offset: number; line: number; column: number; message: string; tab?: boolean }> = [];
  for (const [i, err] of doc.errors.entries()) {
    const pos = at(err.pos[0]);
    const duplicate = err.code === 'DUPLICATE_KEY';
    const unclosed = openings[i];
    if (unclosed ? openings.some((other) => other !== undefined && within(other.offset, unclosed)) : openings.some((u) => within(err.pos[0], u))) continue;
    if (err.code !== 'MULTIPLE_DOCS' && !duplicate) shapeKnown = false;
    if (unclosed) {
      const opening = at(unclosed.offset);
      problems.push({ file, line: opening.line, column: opening.col, path: '', message: `YAML syntax error: ${unclosed.message}`, hint: unclosed.hint });
      continue;
    }
    if (/Maximum call stack/.test(err.message)) {
      // Deep block nesting (indentation) can still exhaust the stack: one problem is enough.
      if (!problems.some((p) => p.message.startsWith('the document nests'))) {
        problems.push({ file, line: pos.line, column: pos.col, path: '', message: 'the document nests too deeply to be a topology', hint: 'a topology nests a few levels (regions > sub-grids > nodes); check for runaway brackets' });
      }
      continue;
    }
    if (err.code === 'MULTIPLE_DOCS') {
      problems.push({ file, line: pos.line, column: pos.col, path: '', message: 'the file holds more than one YAML document', hint: 'keep one grid per file: remove the `---` separator and what follows, or split it into two files' });
      continue;
    }
    if (duplicate) {
      // Named with where the first one is, as a duplicate name is: the two are merged, or one removed.
      const first = firstUseOfKey(doc, err.pos[0]);
      const firstAt = first === undefined ? undefined : at(first);
      const already = firstAt ? `, already used at ${firstAt.line}:${firstAt.col}` : '';
      problems.push({ file, line: pos.line, column: pos.col, path: '', message: `duplicate key ${printableJson(keyAt(text, err.pos[0]))}${already}`, hint: 'each key may appear once per mapping; merge the two entries or remove one' });
      continue;
    }
    const tabAt = err.code === 'TAB_AS_INDENT' ? tabInIndent(text, pos.line) : undefined;
    syntax.push({ offset: err.pos[0], line: pos.line, column: tabAt ?? pos.col, message: firstLine(err.message), ...(tabAt !== undefined ? { tab: true } : {}) });
  }
  if (syntax.length) {
    const layout = layoutLines(text);
    // yaml's other errors from the line above a tab's (which yaml takes the tab's line to continue)
    // to the end of the top-level entry holding it follow from the tab: how far a tab indents is
    // the editor's guess, so yaml's reading of the lines below is one too. The tab is the problem said.
    const tabLines = syntax.filter((err) => err.tab).map((err) => err.line);
    const fromTab = (err: (typeof syntax)[number]) => !err.tab && tabLines.some((line) => (contentBefore(layout, line)?.line ?? 0) <= err.line && err.line < endOfTopLevelEntry(layout, line));
    for (const err of firstOfEachCascade(syntax.filter((err) => !fromTab(err)), layout)) {
      if (err.tab) {
        const tab = tabIndentMistake(err.line, err.column);
        problems.push({ file, line: tab.line, column: tab.column, path: '', message: tab.message, hint: tab.hint });
        continue;
      }
      // A list left without its key, or a line a column off its siblings, is said as such (the layout shows it); else in yaml's words.
      // A key indented deeper than its sibling is reported by yaml on the line above it, which took it for a continuation.
      const next = contentAfter(layout, err.line);
      const mistake = orphanList(layout, err.line) ?? misindentedLine(layout, err.line) ?? (next ? misindentedLine(layout, next.line) : undefined);
      problems.push(
        mistake
          ? { file, line: mistake.line, column: mistake.column, path: '', message: mistake.message, hint: mistake.hint }
          : { file, line: err.line, column: err.column, path: '', message: `YAML syntax error: ${err.message}`, hint: 'check indentation, quotes and colons around this position' },
      );
    }
  }

  // Explicit tags (!!binary, !!set, !!timestamp, custom ones) would turn values into Buffers,
  // Sets or Dates: a topology is plain data, so any tag is refused where it is written.
  const tagged: Array<[number, number]> = [];
  visit(doc, {
    Node(_key, node) {
      if (node.tag && !PLAIN_TAGS.has(node.tag)) {
        const pos = at(node.range?.[0] ?? 0);
        problems.push({ file, line: pos.line, column: pos.col, path: '', message: `YAML tag ${node.tag} is not allowed`, hint: 'write plain values; quote a string that starts with !' });
        if (node.range) tagged.push([node.range[0], node.range[1]]);
      }
    },
  });

  let value: unknown;
  if (shapeKnown) {
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      // An alias that names no anchor is its own mistake, each at its position; else the expansion limit was hit.
      const unresolved = unresolvedAliases(doc, text);
      for (const { alias, laterAnchor } of unresolved) {
        const pos = at(alias.range?.[0] ?? 0);
        const anchor = laterAnchor === undefined ? undefined : at(laterAnchor);
        problems.push({
          file,
          line: pos.line,
          column: pos.col,
          path: '',
          message: `alias *${alias.source} names no anchor (&${alias.source}) defined above it`,
          hint: anchor
            ? `&${alias.source} is set at ${anchor.line}:${anchor.col}, below this alias, and an alias can only name an anchor written before it: move the anchored value above this line, or write the value here`
            : `mark the value to repeat with \`&${alias.source}\` above this line, or write the value here; settings shared by many nodes can go in \`defaults\``,
        });
      }
      if (unresolved.length === 0) {
        const alias = findFirstAlias(doc.contents as YamlNode | null);
        const pos = at(alias?.range?.[0] ?? 0);
        problems.push({
          file,
          line: pos.line,
          column: pos.col,
          path: '',
          message: `anchors and aliases expand too much (${firstLine((err as Error).message)})`,
          hint: `use at most ${MAX_ALIAS_COUNT} alias expansions; repeat settings through 'defaults' instead`,
        });
      }
    }
  }
  if (value !== undefined && (value === null || typeof value !== 'object' || Array.isArray(value))) {
    const pos = at(doc.contents?.range?.[0] ?? 0);
    problems.push({
      file,
      line: pos.line,
      column: pos.col,
      path: '',
      message: `the file must be a YAML mapping, not ${value === null || value === undefined ? 'empty' : Array.isArray(value) ? 'a list' : `a ${typeof value}`}`,
      hint: startHint,
    });
  }
  const mapping = value !== null && typeof value === 'object' && !Array.isArray(value);
  return { source: { file, doc, lines, value: mapping ? value : undefined, ...(tagged.length ? { tagged } : {}) }, problems };
}

/** The first line after `line` that starts a top-level entry (no indentation), or the line past the end. */
function endOfTopLevelEntry(layout: ReadonlyArray<LayoutLine | undefined>, line: number): number {
  for (let i = line; i < layout.length; i++) if (layout[i]?.indent === 0) return i + 1;
  return layout.length + 1;
}

/** Whether a problem lies inside a value written with a refused tag (whose problem is the tag). */
export function insideTagged(source: SourceDocument, line: number, column: number): boolean {
  if (!source.tagged) return false;
  const offset = (source.lines.lineStarts[line - 1] ?? 0) + column - 1;
  return source.tagged.some(([start, end]) => start <= offset && offset < end);
}

/** The key text starting at `offset` (the duplicate-key error points at the key). */
function keyAt(text: string, offset: number): string {
  const rest = text.slice(offset, offset + 300);
  const quoted = /^(["'])(.*?)\1/.exec(rest);
  return quoted ? quoted[2]! : rest.split(/:\s|:$|\n/)[0]!.trim();
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function findFirstAlias(node: YamlNode | null): YamlNode | null {
  if (!node) return null;
  if (isAlias(node)) return node;
  if (isMap(node) || isSeq(node)) {
    for (const item of node.items) {
      const found = isPair(item) ? findFirstAlias(item.key as YamlNode) ?? findFirstAlias(item.value as YamlNode) : findFirstAlias(item as YamlNode);
      if (found) return found;
    }
  }
  return null;
}

/** The value at `path` as the file writes it (a relative path, `~/`), which the user recognises; undefined where there is none. */
export function writtenAt(source: SourceDocument, path: readonly PathSegment[]): unknown {
  let value: unknown = source.value;
  for (const segment of path) value = typeof value === 'object' && value !== null ? (value as Record<PathSegment, unknown>)[segment] : undefined;
  return value;
}

/** How a value is written in the file: its text, and whether it is in quotes. */
export interface WrittenScalar {
  text: string;
  quoted: boolean;
}

/**
 * How the scalar at `path` is written in the file: its text (`0644`, `True`, where the value read is
 * 644 or true) and whether it is in quotes; undefined where no scalar is written there. A hint that
 * quotes a value, or says to drop quotes, shows what the user wrote, not what YAML made of it.
 */
export function writtenScalar(source: SourceDocument, path: readonly PathSegment[]): WrittenScalar | undefined {
  const node = exactNodeAt(source, path);
  if (!isScalar(node)) return undefined;
  const text = typeof node.source === 'string' ? node.source : String(node.value);
  return { text, quoted: node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE' };
}

/**
 * The position of the thing at `path`: the value node, or with `key: true` the key of the last
 * segment (for unknown keys). Walks through aliases. Falls back to the deepest node found.
 */
export function positionOf(source: SourceDocument, path: readonly PathSegment[], options: { key?: boolean } = {}): { line: number; column: number } {
  const offset = nodeAt(source, path, options)?.range?.[0] ?? 0;
  const pos = source.lines.linePos(offset);
  return { line: pos.line, column: pos.col };
}

/**
 * Where `part` (its `nth` occurrence, 0-based) of the string at `path` is written in the file
 * `text`, so that a problem can point into a string. The string's own position when the file
 * writes it otherwise (an escape or a folded line inside it) or holds it a different number of times.
 */
export function positionInString(source: SourceDocument, text: string, path: readonly PathSegment[], part: string, nth: number): { line: number; column: number } {
  const node = nodeAt(source, path, {});
  const value = isScalar(node) ? node.value : undefined;
  if (typeof value === 'string' && node?.range && part) {
    const written = text.slice(node.range[0], node.range[1]);
    const count = (s: string) => s.split(part).length - 1;
    if (count(written) === count(value)) {
      let at = -1;
      for (let k = 0; k <= nth; k++) at = written.indexOf(part, at + 1);
      if (at >= 0) {
        const pos = source.lines.linePos(node.range[0] + at);
        return { line: pos.line, column: pos.col };
      }
    }
  }
  return positionOf(source, path);
}

/**
 * The first alias crossed on the way to `path`, with where it is written and where the value it
 * repeats is: a value reached through an alias is written once but used twice, and a problem of
 * the use (the same node in two sub-grids) belongs at the alias. Undefined when no alias is crossed.
 */
export function aliasOnPath(source: SourceDocument, path: readonly PathSegment[]): { name: string; at: { line: number; column: number }; anchored: { line: number; column: number } } | undefined {
  let node: YamlNode | null = source.doc.contents as YamlNode | null;
  for (let i = 0; i <= path.length && node; i++) {
    if (isAlias(node)) {
      const alias: Alias = node;
      const target = alias.resolve(source.doc) as YamlNode | undefined;
      const place = (offset: number) => {
        const pos = source.lines.linePos(offset);
        return { line: pos.line, column: pos.col };
      };
      return { name: alias.source, at: place(alias.range?.[0] ?? 0), anchored: place(target?.range?.[0] ?? 0) };
    }
    if (i === path.length) break;
    node = childOf(node, path[i]!);
  }
  return undefined;
}

/** Whether two paths reach the very same node of the document (one of them through an alias). */
export function sameNode(source: SourceDocument, a: readonly PathSegment[], b: readonly PathSegment[]): boolean {
  const first = exactNodeAt(source, a);
  return first !== null && first === exactNodeAt(source, b);
}

/** The node at `path`, through aliases; null where the document has none there. */
function exactNodeAt(source: SourceDocument, path: readonly PathSegment[]): YamlNode | null {
  let node: YamlNode | null = source.doc.contents as YamlNode | null;
  for (const seg of path) {
    if (isAlias(node)) node = node.resolve(source.doc) as YamlNode | null;
    node = node ? childOf(node, seg) : null;
    if (!node) return null;
  }
  return isAlias(node) ? (node.resolve(source.doc) as YamlNode | null) : node;
}

/** The value under `seg` of a mapping or sequence node (null when there is none). */
function childOf(node: YamlNode, seg: PathSegment): YamlNode | null {
  if (isMap(node)) {
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
    return (pair?.value as YamlNode | undefined) ?? null;
  }
  if (isSeq(node) && typeof seg === 'number') return (node.items[seg] as YamlNode | undefined) ?? null;
  return null;
}

/** The node at `path`, or the deepest one found on the way (or its key, with `key`). */
function nodeAt(source: SourceDocument, path: readonly PathSegment[], options: { key?: boolean }): YamlNode | null {
  let node: YamlNode | null = source.doc.contents as YamlNode | null;
  let best: YamlNode | null = node;
  for (let i = 0; i < path.length && node; i++) {
    const seg = path[i]!;
    if (isAlias(node)) node = node.resolve(source.doc) as YamlNode | null;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const last = i === path.length - 1;
      node = (last && options.key ? pair.key : pair.value ?? pair.key) as YamlNode | null;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = (node.items[seg] as YamlNode | undefined) ?? null;
    } else {
      break;
    }
    if (node) best = node;
  }
  return best;
}
