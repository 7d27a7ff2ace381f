import type { ShellContext } from './shell-contexts.js';

/** A word of a simple command: where it is in the command text, and its text with quote characters removed. */
export interface CommandWord {
  start: number;
  end: number;
  /** The word as written, quotes included: offsets into it are offsets into the command text. */
  raw: string;
  /** What the word says with `'`, `"` and `\` dropped: enough to recognise a command name or an option. */
  bare: string;
}

const BLANK = /[ \t\n]/;
const COMMAND_END = /[;&|()\n]/;
const REDIRECTION = /[<>]/;
/** Reserved words that may precede a command's name: `if eval ...` runs eval. */
const LEADING_KEYWORDS = new Set(['if', 'then', 'elif', 'else', 'do', 'while', 'until', '!', '{', 'time']);

/**
 * The simple commands of a command text, each as its words, from the contexts shellContexts gave:
 * only unquoted blanks and operators split (a quoted blank is part of its word), comments and
 * here-document bodies are no words, and a redirection's target is not an argument. A `[[ ... ]]`
 * is one command to its `]]`, its `&&`, `||` and parentheses included. Leading reserved words are
 * dropped, so that each list starts with the command's assignments, then its name.
 */
export function commandWords(text: string, contexts: readonly ShellContext[]): CommandWord[][] {
  const commands: CommandWord[][] = [];
  let words: CommandWord[] = [];
  let start = -1;
  let redirected = false;
  let inDoubleBrackets = false;
  const endWord = (end: number) => {
    if (start < 0) return;
    const raw = text.slice(start, end);
    const word = { start, end, raw, bare: raw.replace(/['"\\]/g, '') };
    start = -1;
    if (redirected) {
      redirected = false;
      return;
    }
    if (words.length === 0 && LEADING_KEYWORDS.has(word.bare)) return;
    if (words.length === 0 && word.bare === '[[') inDoubleBrackets = true;
    else if (inDoubleBrackets && word.bare === ']]') inDoubleBrackets = false;
    words.push(word);
  };
  const endCommand = () => {
    if (words.length) commands.push(words);
    words = [];
  };
  for (let k = 0; k < text.length; k++) {
    const c = text[k]!;
    const context = contexts[k]!;
    if (context === 'comment' || context === 'here-document') {
      endWord(k);
      continue;
    }
    if (context !== 'unquoted') {
      if (start < 0) start = k;
      continue;
    }
    // The `&` of `>&2`, `<&0` or bash's `&>` is part of a redirection, not a command's end.
    const redirectionAmpersand = c === '&' && (text[k - 1] === '>' || text[k - 1] === '<' || text[k + 1] === '>');
    if ((BLANK.test(c) || COMMAND_END.test(c)) && !redirectionAmpersand) {
      endWord(k);
      if (COMMAND_END.test(c) && !inDoubleBrackets) endCommand();
    } else if (REDIRECTION.test(c) || redirectionAmpersand) {
      // `2>` : the digits glued before the operator name a file descriptor, not an argument.
      if (start >= 0 && /^[0-9]+$/.test(text.slice(start, k))) start = -1;
      endWord(k);
      redirected = true;
    } else if (start < 0) start = k;
  }
  endWord(text.length);
  endCommand();
  return commands;
}
