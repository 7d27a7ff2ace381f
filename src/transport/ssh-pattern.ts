/**
 * ssh_config PATTERNS as gridops judges them: `*` matches any run of characters and `?` exactly
 * one, as OpenSSH's match_pattern (match.c) has them. The ssh-config parser's glob makes `?` "one
 * or none", so `Host web?` would apply to `web`, which `ssh web` does not do. Everything else is
 * judged as the parser's compute() judges it (its negation, its case-sensitivity, but in `Match host` and
 * `Match originalhost`, which OpenSSH judges lower-cased: ssh-config-exact-question-mark.ts), a Host line's
 * patterns being its words and a Match criterion's its comma list, as OpenSSH reads them,
 * so that a block gridops judges itself (ssh-config-candidate-blocks.ts, ssh-config-nested-blocks.ts)
 * is judged as the lookup judges it (ssh-config-exact-question-mark.ts).
 */

/** What a pattern's `?` matches: exactly one character, as OpenSSH has it, or one or none, as the parser's glob has it. */
export type QuestionMark = 'one' | 'one or none';

/**
 * One pattern as a regular expression: every other character literal; `ignoreCase` for `Match host`
 * and `originalhost`, which OpenSSH judges lower-cased; `questionMark` 'one or none' to judge as the
 * parser's glob does (ssh-config-exact-question-mark.ts), never to judge as gridops does.
 */
export function patternRegExp(pattern: string, ignoreCase = false, questionMark: QuestionMark = 'one'): RegExp {
  const anyOne = questionMark === 'one' ? '.' : '.?';
  return new RegExp(`^(?:${pattern.replace(/[\\()[\]{}.+^$|]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, anyOne)})$`, ignoreCase ? 'i' : '');
}

/** One pattern of a list, compiled once for the many values a large file's lookups judge it against. */
export interface CompiledPattern {
  /** The pattern after its `!`, for a negated one: where it matches, the list does not. */
  negated: RegExp | undefined;
  /** The whole pattern, `!` included, as the parser also tries it (it matches only a value written with that `!`). */
  whole: RegExp;
}

export function compilePattern(pattern: string, ignoreCase = false): CompiledPattern {
  return { negated: pattern.startsWith('!') ? patternRegExp(pattern.slice(1), ignoreCase) : undefined, whole: patternRegExp(pattern, ignoreCase) };
}

/** Whether a compiled pattern list matches `value`: any negated one matching excludes it, else any one matching includes it. */
export function compiledListMatches(patterns: readonly CompiledPattern[], value: string): boolean {
  let matched = false;
  for (const { negated, whole } of patterns) {
    if (negated?.test(value)) return false;
    if (whole.test(value)) matched = true;
  }
  return matched;
}

/** A Match criterion's pattern list as the parser's compute() reads one: a list of tokens as it is, a single string split at commas. */
export function patternsOf(value: unknown): string[] {
  return Array.isArray(value) ? (value as Array<{ val: string }>).map((token) => token.val) : String(value).split(',');
}

/**
 * A directive's arguments as the parser holds its value: each token's text, or the one string it
 * kept whole. Never split: the string is one argument (a Host line's one word, an Include's one path).
 * So a Host line's patterns are its tokenValues, as OpenSSH reads them: its words, a comma part of a
 * pattern (only a Match criterion's list is split at commas: patternsOf).
 */
export function tokenValues(value: unknown): string[] {
  return Array.isArray(value) ? (value as Array<{ val: string }>).map((token) => token.val) : [String(value)];
}

/** Whether a Host line's value (a string or the parser's tokens) matches `host`. */
export function hostLineMatches(value: unknown, host: string): boolean {
  return compiledListMatches(tokenValues(value).map((p) => compilePattern(p)), host);
}
