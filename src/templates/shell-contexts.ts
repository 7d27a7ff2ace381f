/**
 * Where each character of a shell command stands, as the POSIX shell reads it (with bash's `$'...'`,
 * `$"..."` and brace expansion, since a host's sh may be bash). Only `unquoted` is a place where a
 * word quoted by quote() stays one literal word: everywhere else the shell reads the quotes or the
 * value differently (a `'` in the value ends single quotes; inside double quotes, `$(...)` in the
 * value runs). Inside a construct, every character takes the outermost one's context: that is the
 * one a substitution must be moved out of.
 *
 * Not a full parser: a `case` pattern's `)` without its optional `(` ends a `$(...)` early. What
 * follows is then read as unquoted command text, which it is in a shell too once the `$(...)` is
 * written the other way; any quotes there are still found.
 */
export type ShellContext =
  /** Plain command text, outside any quotes or construct. */
  | 'unquoted'
  /** The character after an unquoted backslash. */
  | 'escaped'
  /** After a `$` or within a `$NAME`: more name characters would lengthen the name. */
  | 'parameter'
  /** Between an unquoted `~` that starts a word (or follows `=` or `:`) and the next `/`. */
  | 'tilde-prefix'
  /** Within an unquoted `{...}` inside a word (bash's brace expansion, split on `,`). */
  | 'brace-expansion'
  | 'comment'
  | 'single-quotes'
  | 'double-quotes'
  | 'dollar-single-quotes'
  | 'backticks'
  | 'command-substitution'
  | 'parameter-expansion'
  /**
   * Within `$((...))`, bash's `$[...]` or a `((...))` command: bash evaluates a value there as an
   * expression, and an array subscript in it (`a[$(cmd)]`) runs commands, quotes or not.
   */
  | 'arithmetic'
  /** A here-document's delimiter word, body and closing line. */
  | 'here-document';

const BLANK = /[ \t]/;
/** Characters that end a word and are operators themselves (a newline is handled on its own). */
const OPERATOR = /[;&|()<>]/;
const NAME_START = /[A-Za-z_]/;
const NAME = /[A-Za-z0-9_]/;
const SPECIAL_PARAMETER = /[0-9@*#?$!-]/;

interface HereDocument {
  delimiter: string;
  /** `<<-`: leading tabs of the body's lines are removed, the closing line's too. */
  stripTabs: boolean;
}

/** The context of each character of `text` (one entry per UTF-16 unit). */
export function shellContexts(text: string): ShellContext[] {
  const contexts: ShellContext[] = new Array<ShellContext>(text.length).fill('unquoted');
  const mark = (from: number, to: number, context: ShellContext) => {
    for (let k = from; k < Math.min(to, text.length); k++) contexts[k] = context;
  };

  /**
   * Command text from `i` to the end, or (with `closing`) to the `)` that closes a `$(`.
   * `within`: the enclosing construct's context, which every character takes; null at the top.
   * Returns the index after the closing `)` (or the text's length).
   */
  function commands(i: number, closing: boolean, within: ShellContext | null): number {
    let wordStart = true;
    let depth = 0;
    let braces = 0;
    let tilde = false;
    let previous = '';
    let pending: HereDocument[] = [];
    const endWord = () => {
      wordStart = true;
      braces = 0;
      tilde = false;
      previous = '';
    };
    while (i < text.length) {
      const c = text[i]!;
      if (c === '\n') {
        mark(i, i + 1, within ?? 'unquoted');
        i = hereDocumentBodies(i + 1, pending, within ?? 'here-document');
        pending = [];
        endWord();
        continue;
      }
      if (BLANK.test(c)) {
        mark(i, i + 1, within ?? 'unquoted');
        i++;
        endWord();
        continue;
      }
      if (c === '#' && wordStart) {
        const newline = text.indexOf('\n', i);
        const end = newline < 0 ? text.length : newline;
        mark(i, end, within ?? 'comment');
        i = end;
        continue;
      }
      if (c === '(' && text[i + 1] === '(' && wordStart) {
        // `((` where a word would start is bash's arithmetic command (a subshell in a subshell is
        // written `( (`): to its `))`.
        mark(i, i + 2, within ?? 'arithmetic');
        i = commands(i + 2, true, within ?? 'arithmetic');
        if (text[i] === ')') mark(i, ++i, within ?? 'arithmetic');
        endWord();
        continue;
      }
      if (OPERATOR.test(c)) {
        if (c === ')' && depth === 0 && closing) {
          mark(i, i + 1, within ?? 'unquoted');
          return i + 1;
        }
        if (c === '(') depth++;
        if (c === ')' && depth > 0) depth--;
        mark(i, i + 1, within ?? 'unquoted');
        if (text.startsWith('<<<', i)) {
          // A here-string: the word after it is an ordinary word.
          mark(i, i + 3, within ?? 'unquoted');
          i += 3;
        } else if (text.startsWith('<<', i)) {
          const operatorEnd = text[i + 2] === '-' ? i + 3 : i + 2;
          mark(i, operatorEnd, within ?? 'unquoted');
          const read = hereDocumentDelimiter(operatorEnd, within ?? 'here-document');
          pending.push({ delimiter: read.delimiter, stripTabs: operatorEnd === i + 3 });
          i = read.end;
        } else {
          i++;
        }
        endWord();
        continue;
      }
      // A character of a word.
      const start = i;
      if (c === '\\') {
        mark(i, i + 1, within ?? 'unquoted');
        mark(i + 1, i + 2, within ?? 'escaped');
        i += 2;
      } else if (c === "'") {
        i = singleQuoted(i, within ?? 'single-quotes');
      } else if (c === '"') {
        mark(i, i + 1, within ?? 'double-quotes');
        i = doubleQuoted(i + 1, within ?? 'double-quotes');
      } else if (c === '`') {
        i = backticks(i, within ?? 'backticks');
      } else if (c === '$') {
        i = dollar(i, within, false);
      } else {
        if (c === '~' && (wordStart || previous === '=' || previous === ':')) tilde = true;
        else if (c === '/') tilde = false;
        else if (c === '{') braces++;
        else if (c === '}' && braces > 0) braces--;
        const plain: ShellContext = tilde && c !== '~' ? 'tilde-prefix' : braces > 0 && c !== '{' ? 'brace-expansion' : 'unquoted';
        mark(i, i + 1, within ?? plain);
        i++;
      }
      // A quoted part of a word ends neither the tilde prefix nor the braces; it is not `=` or `:`.
      previous = i === start + 1 ? c : '';
      wordStart = false;
    }
    return i;
  }

  /** A `$` and what it starts, at `i`. Inside double quotes `$'` and `$"` are not quotes. */
  function dollar(i: number, within: ShellContext | null, inDoubleQuotes: boolean): number {
    const next = text[i + 1] ?? '';
    if (next === '(') {
      // `$((` is an arithmetic expansion; its inner `(` and `)` pair up as the commands' do.
      const context = text[i + 2] === '(' ? 'arithmetic' : 'command-substitution';
      mark(i, i + 2, within ?? context);
      return commands(i + 2, true, within ?? context);
    }
    if (next === '[') return arithmeticBrackets(i, within ?? 'arithmetic');
    if (next === '{') return parameterExpansion(i + 2, within ?? 'parameter-expansion', i);
    if (next === "'" && !inDoubleQuotes) return dollarSingleQuoted(i, within ?? 'dollar-single-quotes');
    if (next === '"' && !inDoubleQuotes) {
      mark(i, i + 2, within ?? 'double-quotes');
      return doubleQuoted(i + 2, within ?? 'double-quotes');
    }
    if (NAME_START.test(next)) {
      let end = i + 2;
      while (end < text.length && NAME.test(text[end]!)) end++;
      mark(i, end, within ?? 'parameter');
      return end;
    }
    if (SPECIAL_PARAMETER.test(next) && next !== '') {
      mark(i, i + 2, within ?? 'parameter');
      return i + 2;
    }
    // A `$` followed by nothing it expands is a literal `$`.
    mark(i, i + 1, within ?? 'unquoted');
    return i + 1;
  }

  /** Bash's old `$[...]` arithmetic, from its `$` at `i` to after the `]` that closes it. */
  function arithmeticBrackets(i: number, context: ShellContext): number {
    let k = i + 2;
    for (let open = 1; k < text.length && open > 0; k++) {
      if (text[k] === '[') open++;
      else if (text[k] === ']') open--;
    }
    mark(i, k, context);
    return k;
  }

  /** From the opening `'` at `i` to after the closing one (or the end). */
  function singleQuoted(i: number, context: ShellContext): number {
    const close = text.indexOf("'", i + 1);
    const end = close < 0 ? text.length : close + 1;
    mark(i, end, context);
    return end;
  }

  /** From the `$` of `$'` at `i`: backslash escapes anything, `\'` included. */
  function dollarSingleQuoted(i: number, context: ShellContext): number {
    return upToUnescaped(i, i + 2, "'", context);
  }

  /** Marks from `start` to after the first `closer` at or after `from` that no backslash escapes (or the end); returns that end. */
  function upToUnescaped(start: number, from: number, closer: string, context: ShellContext): number {
    let k = from;
    while (k < text.length && text[k] !== closer) k += text[k] === '\\' ? 2 : 1;
    const end = Math.min(k + 1, text.length);
    mark(start, end, context);
    return end;
  }

  /** From after an opening `"` at `i` to after the closing one; `$` and backticks still work inside. */
  function doubleQuoted(i: number, context: ShellContext): number {
    while (i < text.length) {
      const c = text[i]!;
      if (c === '"') {
        mark(i, i + 1, context);
        return i + 1;
      }
      if (c === '\\') {
        mark(i, i + 2, context);
        i += 2;
      } else if (c === '$') {
        i = dollar(i, context, true);
      } else if (c === '`') {
        i = backticks(i, context);
      } else {
        mark(i, i + 1, context);
        i++;
      }
    }
    return i;
  }

  /** From the opening backtick at `i` to after the closing one: it is the first one not escaped. */
  function backticks(i: number, context: ShellContext): number {
    return upToUnescaped(i, i + 1, '`', context);
  }

  /** From after `${` at `i` (the `$` at `dollarAt`) to after its `}`; quotes and expansions nest inside. */
  function parameterExpansion(i: number, context: ShellContext, dollarAt: number): number {
    mark(dollarAt, i, context);
    while (i < text.length) {
      const c = text[i]!;
      if (c === '}') {
        mark(i, i + 1, context);
        return i + 1;
      }
      if (c === '\\') {
        mark(i, i + 2, context);
        i += 2;
      } else if (c === "'") {
        i = singleQuoted(i, context);
      } else if (c === '"') {
        mark(i, i + 1, context);
        i = doubleQuoted(i + 1, context);
      } else if (c === '`') {
        i = backticks(i, context);
      } else if (c === '$') {
        i = dollar(i, context, false);
      } else {
        mark(i, i + 1, context);
        i++;
      }
    }
    return i;
  }

  /** The delimiter word after `<<` or `<<-` (blanks skipped), with its quotes removed as the shell does. */
  function hereDocumentDelimiter(i: number, context: ShellContext): { delimiter: string; end: number } {
    while (i < text.length && BLANK.test(text[i]!)) i++;
    const start = i;
    let delimiter = '';
    while (i < text.length && !BLANK.test(text[i]!) && text[i] !== '\n' && !OPERATOR.test(text[i]!)) {
      const c = text[i]!;
      if (c === "'") {
        const close = text.indexOf("'", i + 1);
        const end = close < 0 ? text.length : close;
        delimiter += text.slice(i + 1, end);
        i = end + 1;
      } else if (c === '"') {
        let k = i + 1;
        while (k < text.length && text[k] !== '"') {
          if (text[k] === '\\' && '$`"\\'.includes(text[k + 1] ?? '')) k++;
          delimiter += text[k] ?? '';
          k++;
        }
        i = k + 1;
      } else if (c === '\\') {
        delimiter += text[i + 1] ?? '';
        i += 2;
      } else {
        delimiter += c;
        i++;
      }
    }
    mark(start, i, context);
    return { delimiter, end: Math.min(i, text.length) };
  }

  /** The bodies of the here-documents a line opened, from the start of the next line; returns where they end. */
  function hereDocumentBodies(i: number, documents: readonly HereDocument[], context: ShellContext): number {
    for (const document of documents) {
      while (i < text.length) {
        const newline = text.indexOf('\n', i);
        const lineEnd = newline < 0 ? text.length : newline;
        const line = text.slice(i, lineEnd);
        mark(i, lineEnd + 1, context);
        i = lineEnd + 1;
        if ((document.stripTabs ? line.replace(/^\t+/, '') : line) === document.delimiter) break;
      }
    }
    return Math.min(i, text.length);
  }

  commands(0, false, null);
  return contexts;
}
