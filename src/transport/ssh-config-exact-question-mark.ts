import { userInfo } from 'node:os';
import type SSHConfig from 'ssh-config';
import type { ConfigLine } from './ssh-config-include.js';
import { caseDecides, judgedIgnoringCase } from './ssh-config-match-host-case.js';
import { compiledListMatches, compilePattern, patternRegExp, patternsOf, tokenValues } from './ssh-pattern.js';

/**
 * The parser's compute() judges Host and Match patterns with its own glob, where `?` matches one
 * character or none; OpenSSH's matches exactly one (ssh-pattern.ts), so `Host web?` must not apply
 * to `web`. The glob takes nothing that could say "exactly one" (`.` and brackets are escaped), so
 * each pattern holding a `?` is replaced, for one lookup, by the names it matches as OpenSSH judges
 * them among every name and user that lookup can judge it against, written literally: the host
 * looked up (a Host line, `Match originalhost`, and `Match host` until a HostName applies), each
 * HostName of the file (`Match host`, and Host lines in a `Match final` pass), the login user
 * passed, the local user and each User of the file (`Match user`, `Match localuser`). The whole
 * list holding such a pattern is written so: the names it matches, then, negated, the names it
 * does not match that compute()'s glob would match with one of those (a name holding `?` or `*`,
 * such as `User ad?n`, which ssh judges as any other: `ad?n` matches it, not `adn`). compute() then
 * judges the list against any of them as OpenSSH does, except where a name holding `*` or `?` that
 * the list does not match would, negated, also exclude one it does: both would have to be written
 * in the file (or be the host or user looked up), and the list then matches neither.
 *
 * The rewrite also writes out a `Match host` or `Match originalhost` list where case could decide
 * (ssh-config-match-host-case.ts says why): it is judged caseless, as OpenSSH judges it.
 */

/** `SSHConfig.DIRECTIVE`, without loading the parser to read it. */
const DIRECTIVE = 1;

/** The Match criteria compute() judges with its glob. */
const PATTERN_CRITERIA = /^(host|originalhost|user|localuser)$/i;

type BlockLine = ConfigLine & { criteria?: Record<string, unknown> };

/** Whether each config has a pattern with a `?` (worked out once per config: lookups run per node). */
const questionMarkOf = new WeakMap<SSHConfig, boolean>();

/**
 * Whether a Host line or a judged Match criterion of `config`, at any depth, has a pattern with a
 * `?`: only then do its lookups need withExactQuestionMarks. Asked of the config as loaded (or a
 * marked copy made once), never of a lookup's own copy of it: a copy is new for each lookup, and
 * walking it each time cost a large file's lookups more than the rewrite it decides.
 */
export function holdsQuestionMark(config: SSHConfig): boolean {
  let holds = questionMarkOf.get(config);
  if (holds === undefined) {
    holds = sectionHoldsQuestionMark(config as unknown as ConfigLine[]);
    questionMarkOf.set(config, holds);
  }
  return holds;
}

/**
 * `config` for compute()'s lookup of `host` (as `user`, where one is passed): each pattern with a
 * `?` replaced by the names it matches. A copy, made only where holdsQuestionMark says it is needed.
 */
export function withExactQuestionMarks(config: SSHConfig, host: string, user: string | undefined): SSHConfig {
  const names = namesJudged(config as unknown as ConfigLine[], host, user);
  const rewrite = (section: readonly ConfigLine[]): ConfigLine[] =>
    section.map((line: BlockLine) => {
      if (line.type !== DIRECTIVE || !line.config) return line;
      const config = rewrite(line.config);
      if (/^host$/i.test(line.param ?? '')) return { ...line, value: exactList(tokenValues(line.value), line.value, names, false), config };
      const criteria = Object.fromEntries(Object.entries(line.criteria ?? {}).map(([criterion, list]) => [criterion, PATTERN_CRITERIA.test(criterion) ? exactList(patternsOf(list), list, names, judgedIgnoringCase(criterion)) : list]));
      return { ...line, ...(line.criteria ? { criteria } : {}), config };
    });
  // The same class, so compute() runs on the copy as on the original.
  const copy = new (config.constructor as new () => SSHConfig)();
  copy.push(...(rewrite(config as unknown as ConfigLine[]) as unknown as SSHConfig));
  return copy;
}

/** Whether a Host line or a judged Match criterion of `section`, at any depth, has a pattern with a `?`. */
function sectionHoldsQuestionMark(section: readonly ConfigLine[]): boolean {
  return (section as BlockLine[]).some(
    (line) =>
      line.type === DIRECTIVE &&
      line.config !== undefined &&
      ((/^host$/i.test(line.param ?? '') && tokenValues(line.value).some((p) => p.includes('?'))) ||
        Object.entries(line.criteria ?? {}).some(([criterion, list]) => PATTERN_CRITERIA.test(criterion) && patternsOf(list).some((p) => p.includes('?'))) ||
        sectionHoldsQuestionMark(line.config)),
  );
}

/** Every name and user a lookup of `host` can judge a pattern against, as compute() takes them (a directive's first token). */
function namesJudged(section: readonly ConfigLine[], host: string, user: string | undefined): string[] {
  const names = new Set([host, localUser(), ...(user === undefined ? [] : [user])]);
  const collect = (lines: readonly ConfigLine[]) => {
    for (const line of lines) {
      if (line.type !== DIRECTIVE) continue;
      if (line.config) collect(line.config);
      else if (/^(HostName|User)$/i.test(line.param ?? '')) names.add(Array.isArray(line.value) ? String((line.value as Array<{ val: string }>)[0]?.val) : String(line.value));
    }
  };
  collect(section);
  return [...names];
}

/** The local user as compute() takes it for `Match localuser` (and `Match user`, where nothing else names one). */
function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    // userInfo() throws for a user with no name or home directory; compute() falls back so too.
    return process.env.USER || process.env.USERNAME || '';
  }
}

/**
 * A pattern list (`patterns`, read from the line's `list`) holding a `?`, or judged `ignoreCase`
 * where a pattern or a name holds an upper-case letter, as the names it matches among `names`, and
 * the names it does not match that compute()'s glob would match with one of those, negated, as the
 * parser's tokens; `list` as it is where compute() judges it as OpenSSH does.
 */
function exactList(patterns: readonly string[], list: unknown, names: readonly string[], ignoreCase: boolean): unknown {
  if (!(ignoreCase && caseDecides(patterns, names)) && !patterns.some((p) => p.includes('?'))) return list;
  const compiled = patterns.map((p) => compilePattern(p, ignoreCase));
  const matched = names.filter((name) => compiledListMatches(compiled, name));
  // Each name matched, as a pattern compute()'s glob judges (`?` one character or none), compiled once for every name.
  const parserGlobs = matched.map((written) => patternRegExp(written, false, 'one or none'));
  const excluded = names.filter((name) => !matched.includes(name) && parserGlobs.some((glob) => glob.test(name)));
  // Tokens, not a string: compute() would split a string at a comma a name may hold.
  return [...matched, ...excluded.map((name) => `!${name}`)].map((val) => ({ val, separator: ' ', quoted: false }));
}
