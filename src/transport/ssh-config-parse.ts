import type SSHConfig from 'ssh-config';
import { matchCriteria, takesNoValue } from './match-criteria.js';

/**
 * The `ssh-config` parser's parse(), made to read a Match line's criteria as OpenSSH 9.2 reads them,
 * and to name the line of any line it cannot read. The parser throws with no line number, or worse
 * reads a keyword with no value (`User` alone, which ssh refuses: "no argument after keyword") as
 * taking the next line for its value. And it reads a Match line's words as criteria each followed by
 * a value but for `all`, `canonical` and `final`, where readconf.c's match_cfg_line reads those three
 * without a value negated too: `Match !all`, `Match host web1 !all` (which ssh takes: their block
 * applies to no host) throw "Missing value for match criteria !all", and `Match !final !all` reads as
 * `!final` valued `!all`. So every Match line's criteria are read again from its words, as ssh
 * reads them; a line the parser throws on is read as a Host line first, whose words it reads the
 * same way. Where `all` and `!all` may stand is refuseMisplacedMatchAll's to judge, after.
 */

/** A line of a file the parser cannot read: its number (from 1), its text trimmed, and why, in words for the operator. */
export class UnreadableLine extends Error {
  constructor(
    readonly line: number,
    readonly text: string,
    readonly reason: string,
  ) {
    super(`line ${line}: ${text}: ${reason}`);
  }
}

/** The parser's parse(). */
type Parse = (text: string) => SSHConfig;

/** A parsed line as the parser makes it (ssh-config-include.ts' ConfigLine, with a Match line's criteria). */
type Line = { type: number; param?: string; value?: unknown; config?: Line[]; criteria?: Record<string, string | never[]> };

/** One word of a line the parser splits into words. */
type Token = { val: string; separator: string; quoted?: boolean };

/** A keyword alone, or with `=` alone: the parser's separator would run on into the next line. */
const KEYWORD_WITHOUT_VALUE = /^\s*([^\s=#][^ \t=]*)[ \t]*=?[ \t]*$/;

/** The keyword of a directive line, as the parser reads it: its first run of characters that are neither blank nor `=`. */
const KEYWORD = /^(\s*)([^ \t=]+)/;

/**
 * `text` parsed with `parse` as ssh reads it (the module comment says how), or an UnreadableLine
 * for the first line it cannot read. Each line is parsed on its own only where the whole text fails:
 * the parser's errors are a line's own (no value spans two lines once a keyword alone is refused).
 */
export function parseSshConfigText(parse: Parse, text: string): SSHConfig {
  const lines = text.split(/\r\n|\r|\n/);
  lines.forEach((line, i) => {
    const bare = KEYWORD_WITHOUT_VALUE.exec(line);
    if (bare) throw new UnreadableLine(i + 1, line.trim(), `no value after ${bare[1]}`);
  });
  let parsed: SSHConfig;
  try {
    parsed = parse(text);
  } catch (whole) {
    // The Match lines the parser throws on that ssh's reading of criteria may take: read as Host lines, made Match lines below.
    const asHost = new Set<number>();
    lines.forEach((line, i) => {
      try {
        parse(line);
      } catch (err) {
        if (/^match$/i.test(KEYWORD.exec(line)?.[2] ?? '') && readsAsHostLine(parse, line)) asHost.add(i);
        else throw new UnreadableLine(i + 1, line.trim(), reasonOf(err, line));
      }
    });
    // Not one line fails alone: the parser's error is then its own to say (readSshConfigWithIncludes names the file).
    if (asHost.size === 0) throw whole;
    parsed = parse(lines.map((line, i) => (asHost.has(i) ? line.replace(KEYWORD, '$1Host') : line)).join('\n'));
    const keywords = new Map([...asHost].map((i) => [i + 1, KEYWORD.exec(lines[i]!)![2]!]));
    withCriteriaAsSshReadsThem(parsed, lines, (line, number) => {
      const keyword = keywords.get(number);
      if (keyword !== undefined) line.param = keyword;
    });
    return parsed;
  }
  withCriteriaAsSshReadsThem(parsed, lines);
  return parsed;
}

/**
 * Reads every Match line's criteria of `parsed` (at any depth) again from its words, as readconf.c
 * reads them, once `restore` (given each directive and its line's number) has made what was read as
 * a Host line a Match line again; a criterion left without its value is an UnreadableLine, as ssh
 * refuses it ("Bad Match condition"). The Nth directive is the Nth of `lines` that is neither blank
 * nor a comment (numberDirectives' rule too), each line being one once a keyword alone is refused.
 */
function withCriteriaAsSshReadsThem(parsed: SSHConfig, lines: readonly string[], restore?: (line: Line, number: number) => void): void {
  let numbers: number[] | undefined;
  let next = 0;
  const walk = (section: readonly Line[]) => {
    for (const line of section) {
      if (line.type !== DIRECTIVE) continue;
      const at = next++;
      if (restore) restore(line, (numbers ??= directiveNumbers(lines))[at]!);
      if (line.config && /^match$/i.test(line.param ?? '')) {
        const missing = readCriteria(line);
        if (missing !== undefined) {
          const number = (numbers ??= directiveNumbers(lines))[at]!;
          throw new UnreadableLine(number, lines[number - 1]!.trim(), `Match criterion ${missing} needs a value`);
        }
      }
      if (line.config) walk(line.config);
    }
  };
  walk(parsed as unknown as Line[]);
}

/**
 * Sets a Match line's criteria from its words, as readconf.c reads them (each criterion as written,
 * with its value, or none for those that take none: matchCriteria), its words the parser's tokens; returns the criterion
 * left without a value, if one is.
 */
function readCriteria(line: Line): string | undefined {
  // A Match line read as a Host line of one word holds that word alone, as a string.
  const tokens: Token[] = Array.isArray(line.value) ? (line.value as Token[]) : [{ val: String(line.value), separator: '' }];
  const criteria: Record<string, string | never[]> = {};
  for (const [word, value] of matchCriteria(tokens.map((token) => token.val))) {
    if (takesNoValue(word!)) criteria[word!] = [];
    else if (value === undefined) return word;
    else criteria[word!] = value;
  }
  line.value = tokens;
  line.criteria = criteria;
  return undefined;
}

/**
 * Whether the parser reads a Match line as a Host line (its words tokenised alike, with no criteria
 * judged): not where even those it cannot read (a quote left open).
 */
function readsAsHostLine(parse: Parse, line: string): boolean {
  try {
    parse(line.replace(KEYWORD, '$1Host'));
    return true;
  } catch {
    return false;
  }
}

/** What the parser's error on `line` says, in the operator's words: the parser's own message only where it is none of its known ones. */
function reasonOf(err: unknown, line: string): string {
  // values() indexes its first word, which a line of `""` alone lacks.
  if (err instanceof TypeError) return `no value after ${KEYWORD.exec(line)?.[2] ?? 'its keyword'}`;
  const message = err instanceof Error ? err.message : String(err);
  return /^Unexpected line break/.test(message) ? 'an unclosed quote or a trailing backslash' : message;
}

/** `SSHConfig.DIRECTIVE`, without loading the parser to read it. */
const DIRECTIVE = 1;

/** The number (from 1) of each line of `text` the parser makes a directive of: every line that is neither blank nor a comment, in order. */
export function directiveLines(text: string): number[] {
  return directiveNumbers(text.split(/\r\n|\r|\n/));
}

/** directiveLines, of a text already split into its lines. */
function directiveNumbers(lines: readonly string[]): number[] {
  return lines.flatMap((l, i) => (/^\s*(#|$)/.test(l) ? [] : [i + 1]));
}
