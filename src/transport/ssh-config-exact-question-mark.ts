import { userInfo } from 'node:os';
import type SSHConfig from 'ssh-config';
import type { ConfigLine } from './ssh-config-include.js';
import { compiledListMatches, compilePattern, hostPatternsOf, patternsOf } from './ssh-pattern.js';

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
 * The same rewrite makes `Match host` and `Match originalhost` ignore case, as OpenSSH does (it
 * lower-cases both the name and the patterns; `Host` lines it judges as written, as compute()
 * does): `Match host x*` is X1's. Such a list is written out where case could decide, where it or
 * a name judged holds an upper-case letter (caseMayDecide); else compute()'s judgement is ssh's.
 */

/** `SSHConfig.DIRECTIVE`, without loading the parser to read it. */
const DIRECTIVE = 1;

/** The Match criteria compute() judges with its glob. */
const PATTERN_CRITERIA = /^(host|originalhost|user|localuser)$/i;

/** Of those, the ones OpenSSH judges lower-cased. */
const CASELESS_CRITERIA = /^(host|originalhost)$/i;

/** An upper-case letter: where none is in a name nor a pattern, ignoring case changes nothing. */
const UPPER_CASE = /[A-Z]/;

type BlockLine = ConfigLine & { criteria?: Record<string, unknown> };

/** What each config's patterns ask of its lookups (worked out once per config: lookups run per node). */
const patternFactsOf = new WeakMap<SSHConfig, PatternFacts>();

interface PatternFacts {
  /** A Host line or a judged Match criterion, at any depth, has a pattern with a `?`. */
  questionMark: boolean;
  /** A `Match host` or `Match originalhost` judges a name, at any depth. */
  judgesHostCaseless: boolean;
  /** Such a pattern, or a HostName it may judge, holds an upper-case letter. */
  upperCase: boolean;
}

/** The facts of `config`, walked once. */
function patternFacts(config: SSHConfig): PatternFacts {
  let facts = patternFactsOf.get(config);
  if (facts === undefined) {
    facts = { questionMark: false, judgesHostCaseless: false, upperCase: false };
    walkFacts(config as unknown as ConfigLine[], facts);
    patternFactsOf.set(config, facts);
  }
  return facts;
}

/**
 * Whether a Host line or a judged Match criterion of `config`, at any depth, has a pattern with a
 * `?`: only then do its lookups need withExactQuestionMarks. Asked of the config as loaded (or a
 * marked copy made once), never of a lookup's own copy of it: a copy is new for each lookup, and
 * walking it each time cost a large file's lookups more than the rewrite it decides.
 */
export function holdsQuestionMark(config: SSHConfig): boolean {
  return patternFacts(config).questionMark;
}

/**
 * Whether ignoring case, as OpenSSH does in `Match host` and `Match originalhost`, could judge a
 * lookup of `host` otherwise than compute() does: such a criterion is there, and it, a HostName of
 * the file or `host` holds an upper-case letter. Asked, as holdsQuestionMark, of the config as loaded.
 */
export function caseMayDecide(config: SSHConfig, host: string): boolean {
  const facts = patternFacts(config);
  return facts.judgesHostCaseless && (facts.upperCase || UPPER_CASE.test(host));
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
      if (/^host$/i.test(line.param ?? '')) return { ...line, value: exactList(hostPatternsOf(line.value), line.value, names, false), config };
      const criteria = Object.fromEntries(Object.entries(line.criteria ?? {}).map(([criterion, list]) => [criterion, PATTERN_CRITERIA.test(criterion) ? exactList(patternsOf(list), list, names, CASELESS_CRITERIA.test(criterion)) : list]));
      return { ...line, ...(line.criteria ? { criteria } : {}), config };
    });
  // The same class, so compute() runs on the copy as on the original.
  const copy = new (config.constructor as new () => SSHConfig)();
  copy.push(...(rewrite(config as unknown as ConfigLine[]) as unknown as SSHConfig));
  return copy;
}

/** Adds to `facts` what the Host lines, judged Match criteria and HostNames of `section` say, at any depth. */
function walkFacts(section: readonly ConfigLine[], facts: PatternFacts): void {
  for (const line of section as BlockLine[]) {
    if (line.type !== DIRECTIVE) continue;
    if (!line.config) {
      if (/^HostName$/i.test(line.param ?? '') && UPPER_CASE.test(Array.isArray(line.value) ? (line.value as Array<{ val: string }>).map((t) => t.val).join(' ') : String(line.value))) facts.upperCase = true;
      continue;
    }
    if (/^host$/i.test(line.param ?? '') && hostPatternsOf(line.value).some((p) => p.includes('?'))) facts.questionMark = true;
    for (const [criterion, list] of Object.entries(line.criteria ?? {})) {
      if (!PATTERN_CRITERIA.test(criterion)) continue;
      const patterns = patternsOf(list);
      if (patterns.some((p) => p.includes('?'))) facts.questionMark = true;
      if (!CASELESS_CRITERIA.test(criterion)) continue;
      facts.judgesHostCaseless = true;
      if (patterns.some((p) => UPPER_CASE.test(p))) facts.upperCase = true;
    }
    walkFacts(line.config, facts);
  }
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
  const caseDecides = ignoreCase && (patterns.some((p) => UPPER_CASE.test(p)) || names.some((n) => UPPER_CASE.test(n)));
  if (!caseDecides && !patterns.some((p) => p.includes('?'))) return list;
  const compiled = patterns.map((p) => compilePattern(p, ignoreCase));
  const matched = names.filter((name) => compiledListMatches(compiled, name));
  const excluded = names.filter((name) => !matched.includes(name) && matched.some((written) => parserGlobMatches(written, name)));
  // Tokens, not a string: compute() would split a string at a comma a name may hold.
  return [...matched, ...excluded.map((name) => `!${name}`)].map((val) => ({ val, separator: ' ', quoted: false }));
}

/** Whether compute()'s glob matches `name` with `written` as its pattern: `*` any run, `?` one character or none, the rest literal. */
function parserGlobMatches(written: string, name: string): boolean {
  return new RegExp(`^(?:${written.replace(/[\\()[\]{}.+^$|]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.?')})$`).test(name);
}
